package io.pgvault.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.api.Paging;
import io.pgvault.testing.CatalogSliceTest;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.jpa.domain.Specification;

/**
 * The job table's queries on the catalog database (H2 here; PostgreSQL in {@link JobQueriesOnPostgresTests}): the
 * list's page (newest first, filtered), progress recorded only while a job runs, which of many waited-on jobs have
 * ended, the backups that running jobs hold, the running count per cluster and type, and the sweeper's questions
 * (stale heartbeats, jobs of instances that are gone).
 */
class JobQueriesTests extends CatalogSliceTest {

    static final Set<JobStatus> ENDED = Set.of(JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED);

    @Autowired
    JobRepository jobs;

    private Job job(JobType type, String cluster, UUID backupId, Duration ago) {
        return entities.persist(new Job(type, cluster, backupId, null, NOW.minus(ago)));
    }

    private Job running(JobType type, String cluster, UUID backupId, Duration ago, String owner) {
        Job j = job(type, cluster, backupId, ago);
        j.start(owner, NOW.minus(ago));
        return j;
    }

    @Test
    void theListIsNewestFirstAndFiltered() {
        Job old = job(JobType.BACKUP, "alpha", null, Duration.ofHours(3));
        Job restore = running(JobType.RESTORE, "alpha", null, Duration.ofHours(2), "a");
        Job newest = job(JobType.BACKUP, "alpha", null, Duration.ofHours(1));
        Job elsewhere = job(JobType.BACKUP, "beta", null, Duration.ofMinutes(5));
        flushAndClear();

        Specification<Job> alphaBackups = (root, query, cb) -> cb.and(cb.equal(root.get("cluster"), "alpha"),
                cb.equal(root.get("type"), JobType.BACKUP));
        assertThat(jobs.findAll(alphaBackups, Paging.newestFirst(0, 20, "createdAt")).map(Job::getId).getContent())
                .containsExactly(newest.getId(), old.getId());
        Specification<Job> runningOnes = (root, query, cb) -> cb.equal(root.get("status"), JobStatus.RUNNING);
        assertThat(jobs.findAll(runningOnes, Paging.newestFirst(0, 20, "createdAt")).map(Job::getId).getContent())
                .containsExactly(restore.getId());
        assertThat(jobs.findAll((root, query, cb) -> cb.conjunction(), Paging.newestFirst(0, 1, "createdAt"))
                .getContent()).extracting(Job::getId).containsExactly(elsewhere.getId());
    }

    @Test
    void progressIsRecordedOnlyWhileAJobRuns() {
        Job queued = job(JobType.BACKUP, "alpha", null, Duration.ofMinutes(2));
        Job runs = running(JobType.BACKUP, "alpha", null, Duration.ofMinutes(1), "a");
        flushAndClear();

        assertThat(jobs.recordProgress(runs.getId(), "streaming", 512, 1024L, "pg_dump: reading", NOW)).isEqualTo(1);
        assertThat(jobs.recordProgress(queued.getId(), "streaming", 512, null, null, NOW)).isZero();
        flushAndClear();
        Job read = jobs.findById(runs.getId()).orElseThrow();
        assertThat(read.getPhase()).isEqualTo("streaming");
        assertThat(read.getBytesDone()).isEqualTo(512);
        assertThat(read.getBytesTotal()).isEqualTo(1024L);
        assertThat(read.getLogTail()).isEqualTo("pg_dump: reading");
        assertThat(read.getHeartbeatAt()).isEqualTo(NOW);
        assertThat(jobs.findById(queued.getId()).orElseThrow().getPhase()).isEqualTo("queued");
        assertThat(jobs.isCancelRequested(runs.getId())).isFalse();
        jobs.lockById(runs.getId()).orElseThrow().requestCancel();
        flushAndClear();
        assertThat(jobs.isCancelRequested(runs.getId())).isTrue();
    }

    @Test
    void waitersRunningCountsAndHeldBackupsAreAnsweredFromTheTable() {
        UUID held = UUID.randomUUID();
        Job done = running(JobType.BACKUP, "alpha", UUID.randomUUID(), Duration.ofHours(2), "a");
        done.succeed(NOW);
        Job failed = running(JobType.VERIFICATION, "alpha", held, Duration.ofHours(1), "a");
        failed.fail("pg_restore --list failed", NOW);
        Job verifying = running(JobType.VERIFICATION, "alpha", held, Duration.ofMinutes(30), "a");
        Job verifyingAgain = running(JobType.VERIFICATION, "alpha", held, Duration.ofMinutes(20), "b");
        Job stale = running(JobType.BACKUP, "beta", null, Duration.ofMinutes(50), "gone");
        Job queued = job(JobType.BACKUP, "alpha", null, Duration.ofMinutes(1));
        flushAndClear();

        assertThat(jobs.findEnded(List.of(done.getId(), failed.getId(), verifying.getId(), queued.getId()), ENDED))
                .containsExactlyInAnyOrder(done.getId(), failed.getId());
        assertThat(jobs.backupIdsOf("alpha", JobType.VERIFICATION, Set.of(JobStatus.QUEUED, JobStatus.RUNNING)))
                .containsExactly(held);
        assertThat(jobs.countRunning("alpha", JobType.VERIFICATION)).isEqualTo(2);
        assertThat(jobs.countRunning("beta", JobType.VERIFICATION)).isZero();
        assertThat(jobs.existsByBackupIdAndStatusIn(held, Set.of(JobStatus.RUNNING))).isTrue();
        assertThat(jobs.existsByBackupIdAndStatusIn(done.getBackupId(), Set.of(JobStatus.RUNNING))).isFalse();
        assertThat(jobs.findFirstByClusterAndTypeAndStatusInOrderByCreatedAtDesc("alpha", JobType.VERIFICATION,
                ENDED)).map(Job::getId).contains(failed.getId());
        assertThat(jobs.findByStatusAndHeartbeatAtBefore(JobStatus.RUNNING, NOW.minus(Duration.ofMinutes(45))))
                .extracting(Job::getId).containsExactly(stale.getId());
        assertThat(jobs.findByStatusAndOwnerIn(JobStatus.RUNNING, List.of("b", "gone"))).extracting(Job::getId)
                .containsExactlyInAnyOrder(verifyingAgain.getId(), stale.getId());
        assertThat(jobs.countByStatus(JobStatus.QUEUED)).isEqualTo(1);
    }
}
