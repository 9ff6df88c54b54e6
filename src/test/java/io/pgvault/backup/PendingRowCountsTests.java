package io.pgvault.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A reader of a DUMP's counts waits while its job still takes them, on this instance or another, and only then. */
class PendingRowCountsTests {

    @Test
    void aReaderWaitsForCountsBeingTakenAndNoOtherwise() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        PendingRowCounts pending = new PendingRowCounts(backup -> {
            asked.incrementAndGet();
            return false;
        }, Duration.ofMillis(10));
        UUID counting = UUID.randomUUID();
        // nothing pending: no wait at all, even with a long bound
        pending.await(UUID.randomUUID(), Duration.ofHours(1));
        assertThat(asked).as("the catalog was asked once").hasValue(1);

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

    @Test
    void aReaderWaitsForTheBackupJobOfAnotherInstanceToEnd() throws Exception {
        Set<UUID> running = ConcurrentHashMap.newKeySet();
        PendingRowCounts pending = new PendingRowCounts(running::contains, Duration.ofMillis(10));
        UUID elsewhere = UUID.randomUUID();
        running.add(elsewhere);

        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> pending.await(elsewhere,
                Duration.ofHours(1)));
        Thread.sleep(100);
        assertThat(reader).as("waits while the job counts on the other instance").isNotDone();
        running.remove(elsewhere);
        reader.get(10, TimeUnit.SECONDS);

        // a job that never ends (its instance gone, not yet taken over) holds a reader no longer than its bound
        UUID stuck = UUID.randomUUID();
        running.add(stuck);
        CompletableFuture<Void> bounded = CompletableFuture.runAsync(() -> pending.await(stuck,
                Duration.ofMillis(50)));
        bounded.get(10, TimeUnit.SECONDS);
        assertThat(running).contains(stuck);
    }
}
