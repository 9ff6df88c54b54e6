package io.pgvault.backup;

import jakarta.persistence.LockModeType;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.JpaSpecificationExecutor;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;

interface BackupRepository extends JpaRepository<Backup, UUID>, JpaSpecificationExecutor<Backup> {

    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select b from Backup b where b.id = :id")
    Optional<Backup> lockById(UUID id);
}
