package io.pgvault.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A job's outcome after a cancel follows the first cancel's cause, whatever its text says. */
class CancellationTests {

    @Test
    void theFirstCauseDecidesTheOutcome() throws Exception {
        Cancellation cancellation = new Cancellation();
        AtomicInteger hooks = new AtomicInteger();
        cancellation.onCancel(hooks::incrementAndGet);
        assertThat(cancellation.cause()).isNull();

        cancellation.cancel(CancelCause.TIMEOUT, "cancelled on request, as it happens");
        cancellation.cancel(CancelCause.USER, "cancelled on request");
        assertThat(cancellation.cause()).isEqualTo(CancelCause.TIMEOUT);
        assertThat(cancellation.cause().outcome()).isEqualTo(JobStatus.FAILED);
        assertThat(cancellation.reason()).isEqualTo("cancelled on request, as it happens");
        assertThat(hooks).hasValue(1);
    }

    @Test
    void aCancelOnRequestOrAtShutdownEndsCancelled() {
        Cancellation byUser = new Cancellation();
        byUser.cancel("timed out after PT1S (a text that once decided the outcome)");
        assertThat(byUser.cause()).isEqualTo(CancelCause.USER);
        assertThat(byUser.cause().outcome()).isEqualTo(JobStatus.CANCELLED);
        assertThat(CancelCause.SHUTDOWN.outcome()).isEqualTo(JobStatus.CANCELLED);
    }
}
