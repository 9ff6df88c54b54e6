package io.pgvault.schedule;

import java.util.List;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

interface ScheduleRepository extends JpaRepository<Schedule, UUID> {

    List<Schedule> findByClusterOrderByCreatedAt(String cluster);

    List<Schedule> findAllByOrderByCreatedAt();
}
