package io.pgvault.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A periodic task wrapped by {@link DaemonThreads#repeating} goes on after a run that throws, even an Error. */
class DaemonThreadsTests {

    @Test
    void aRepeatingTaskRunsAgainAfterARunThatThrew() throws Exception {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("test-timer"));
        AtomicInteger runs = new AtomicInteger();
        try {
            timer.scheduleWithFixedDelay(DaemonThreads.repeating("The test loop", () -> {
                int run = runs.incrementAndGet();
                if (run == 1) {
                    throw new IllegalStateException("the first run fails");
                }
                if (run == 2) {
                    throw new AssertionError("so does the second, with an Error");
                }
            }), 0, 10, TimeUnit.MILLISECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (runs.get() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(runs.get()).as("runs after two that threw").isGreaterThanOrEqualTo(4);
        } finally {
            DaemonThreads.stopAndWait(timer);
        }
    }
}
