package io.pgvault.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A reader of a DUMP's counts waits while its job still takes them, and only then. */
class PendingRowCountsTests {

    @Test
    void aReaderWaitsForCountsBeingTakenAndNoOtherwise() throws Exception {
        PendingRowCounts pending = new PendingRowCounts();
        UUID counting = UUID.randomUUID();
        // nothing pending: no wait at all, even with a long bound
        pending.await(UUID.randomUUID(), Duration.ofHours(1));

        pending.begin(counting);
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> pending.await(counting, Duration.ofHours(1)));
        assertThat(reader).isNotDone();
        Thread.sleep(100);
        assertThat(reader).isNotDone();
        pending.end(counting);
        reader.get(10, TimeUnit.SECONDS);

        // a count that never ends holds a reader no longer than its bound
        UUID stuck = UUID.randomUUID();
        pending.begin(stuck);
        pending.await(stuck, Duration.ofMillis(50));
        pending.end(stuck);
    }
}
