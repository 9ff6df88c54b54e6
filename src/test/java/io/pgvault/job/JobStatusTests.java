package io.pgvault.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.api.ConflictException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The job state machine allows only its table's transitions. */
class JobStatusTests {

    @Test
    void allowsTheLifecycle() {
        assertThat(JobStatus.QUEUED.canMoveTo(JobStatus.RUNNING)).isTrue();
        assertThat(JobStatus.QUEUED.canMoveTo(JobStatus.CANCELLED)).isTrue();
        assertThat(JobStatus.RUNNING.canMoveTo(JobStatus.SUCCEEDED)).isTrue();
        assertThat(JobStatus.RUNNING.canMoveTo(JobStatus.FAILED)).isTrue();
        assertThat(JobStatus.RUNNING.canMoveTo(JobStatus.CANCELLED)).isTrue();
    }

    @Test
    void terminalStatesAreFinal() {
        for (JobStatus terminal : new JobStatus[] {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}) {
            assertThat(terminal.isTerminal()).isTrue();
            for (JobStatus next : JobStatus.values()) {
                assertThat(terminal.canMoveTo(next)).isFalse();
            }
        }
        assertThat(JobStatus.QUEUED.canMoveTo(JobStatus.SUCCEEDED)).isFalse();
    }

    @Test
    void theEntityRefusesIllegalMoves() {
        Job job = new Job(JobType.BACKUP, "c", null, null, Instant.now());
        assertThatThrownBy(() -> job.succeed(Instant.now())).isInstanceOf(ConflictException.class);
        job.start("me", Instant.now());
        job.fail("boom", Instant.now());
        assertThat(job.getStatus()).isEqualTo(JobStatus.FAILED);
        assertThatThrownBy(() -> job.cancel("late", Instant.now())).isInstanceOf(ConflictException.class);
        assertThatThrownBy(job::requestCancel).isInstanceOf(ConflictException.class);
    }
}
