package io.pgvault.job;

import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.JpaSpecificationExecutor;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;

interface JobRepository extends JpaRepository<Job, UUID>, JpaSpecificationExecutor<Job> {

    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select j from Job j where j.id = :id")
    Optional<Job> lockById(UUID id);

    @Modifying
    @Query("""
            update Job j set j.phase = :phase, j.bytesDone = :done, j.bytesTotal = :total, j.logTail = :log,
                   j.heartbeatAt = :now
            where j.id = :id and j.status = io.pgvault.job.JobStatus.RUNNING""")
    int recordProgress(UUID id, String phase, long done, Long total, String log, Instant now);

    @Query("select j.cancelRequested from Job j where j.id = :id")
    boolean isCancelRequested(UUID id);

    List<Job> findByStatusAndOwner(JobStatus status, String owner);

    long countByStatus(JobStatus status);

    boolean existsByBackupIdAndStatusIn(UUID backupId, Collection<JobStatus> statuses);

    boolean existsByBackupIdAndTypeAndStatusIn(UUID backupId, JobType type, Collection<JobStatus> statuses);

    @Query("""
            select distinct j.backupId from Job j
            where j.cluster = :cluster and j.type = :type and j.backupId is not null and j.status in :statuses""")
    List<UUID> backupIdsOf(String cluster, JobType type, Collection<JobStatus> statuses);

    Optional<Job> findFirstByClusterAndTypeAndStatusInOrderByCreatedAtDesc(String cluster, JobType type,
            Collection<JobStatus> statuses);

    List<Job> findByStatusAndHeartbeatAtBefore(JobStatus status, Instant before);

    List<Job> findByStatusAndPlacementIsNotNullAndCreatedAtBefore(JobStatus status, Instant before);

    List<Job> findByStatusAndPlacementOrderByCreatedAt(JobStatus status, String placement);

    List<Job> findByStatusAndOwnerIn(JobStatus status, Collection<String> owners);

    /** Which of these jobs have ended: ids only, so that re-reading for many waiters stays cheap. */
    @Query("select j.id from Job j where j.id in :ids and j.status in :ended")
    List<UUID> findEnded(Collection<UUID> ids, Collection<JobStatus> ended);

    @Query("""
            select count(j) from Job j
            where j.cluster = :cluster and j.type = :type and j.status = io.pgvault.job.JobStatus.RUNNING""")
    long countRunning(String cluster, JobType type);
}
