package io.pgvault.audit;

import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;

interface AuditRepository extends JpaRepository<AuditEvent, UUID> {

    Page<AuditEvent> findByCluster(String cluster, Pageable pageable);

    Page<AuditEvent> findByActor(String actor, Pageable pageable);

    Page<AuditEvent> findByClusterAndActor(String cluster, String actor, Pageable pageable);
}
