package io.pgvault.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.backup.BackupKind;
import io.pgvault.backup.VerificationStatus;
import io.pgvault.job.Cancellation;
import io.pgvault.job.JobCancelledException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A retention run stops at a cancellation (on request, or the job timeout, which cancels too) before the
 * next backup it would expire and before the WAL: it used to carry the whole plan out regardless.
 */
class RetentionCancellationTests {

    @Test
    void aCancelledRunExpiresNothingMoreAndRemovesNoWal() {
        // no catalog behind it: a run that went past the cancellation would fail on the missing services
        RetentionService retention = new RetentionService(null, null, null, null, null, null, null, null);
        RetentionPlan plan = new RetentionPlan("c", Instant.EPOCH, List.of(expire(), expire()),
                new RetentionPlan.WalRemoval("000000010000000000000003", 1, UUID.randomUUID(), 2), 0, 2);
        Cancellation cancellation = new Cancellation();
        cancellation.cancel(io.pgvault.job.CancelCause.TIMEOUT, "timed out after PT1S (pgvault.jobs.timeout)");
        List<String> log = new ArrayList<>();

        assertThatThrownBy(() -> retention.apply(plan, log::add, cancellation))
                .isInstanceOf(JobCancelledException.class).hasMessageContaining("timed out");
        assertThat(log).isEmpty();
    }

    private static RetentionPlan.Decision expire() {
        return new RetentionPlan.Decision(UUID.randomUUID(), BackupKind.DUMP, "db", Instant.EPOCH, null, "DUMP of db",
                false, List.of("kept by no rule"), "the policy of cluster 'c'", null, "UTC", VerificationStatus.PASSED);
    }
}
