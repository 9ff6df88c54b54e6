package io.pgvault.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.pgvault.PgvaultProperties;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * A stopped {@link JobWaiters} answers every waiter at once (so that a shutdown is not held up); started again
 * (a context paused and restarted, as Spring's test framework does with cached contexts), it must wait again. It
 * did not: after a pause every {@code waitSeconds} request answered at once with an unfinished job.
 */
class JobWaitersTests {

    @Test
    void aWaitAfterTheLifecycleWasStoppedAndStartedAgainWaitsForTheEnd() {
        JobRepository jobs = mock(JobRepository.class);
        Job running = new Job(JobType.BACKUP, "waiters", null, "{}", Instant.now());
        when(jobs.findById(any())).thenReturn(Optional.of(running));
        PgvaultProperties properties = mock(PgvaultProperties.class);
        when(properties.jobs()).thenReturn(new PgvaultProperties.Jobs(2, 1, Duration.ofHours(6), "unit",
                Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(60), 65536, 10,
                Duration.ofHours(1)));
        JobWaiters waiters = new JobWaiters(jobs, mock(PlatformTransactionManager.class), properties);
        try {
            waiters.start();
            waiters.stop();
            assertThat(waiters.await(running.getId(), Duration.ofHours(1))).as("answered at once while stopped")
                    .isCompleted();

            waiters.start();
            CompletableFuture<JobView> waiting = waiters.await(running.getId(), Duration.ofHours(1));
            assertThat(waiting).as("a waiter after the restart waits for the job's end").isNotDone();
            assertThat(waiters.waiting()).isEqualTo(1);
            waiting.cancel(false);
            assertThat(waiters.waiting()).isZero();
        } finally {
            waiters.stop();
            waiters.close();
        }
    }
}
