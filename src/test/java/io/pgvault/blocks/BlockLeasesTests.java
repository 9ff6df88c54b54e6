package io.pgvault.blocks;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.CatalogSliceTest;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The block leases' SQL on the catalog database (H2 here; PostgreSQL in {@link BlockLeasesOnPostgresTests}), with
 * committed transactions as the server runs them: a lease raises the repository's generation, a live lease (its job
 * QUEUED or RUNNING) stops a sweep, a lease taken after the sweep's start stops its deletions, and a job taking a
 * lease while a batch is being deleted waits for that batch to end (the row lock), so that it never finds a block
 * the batch is removing.
 */
@Transactional(propagation = Propagation.NOT_SUPPORTED)
class BlockLeasesTests extends CatalogSliceTest {

    @Autowired
    PlatformTransactionManager transactions;
    BlockLeases leases;
    final String repository = "leases-" + UUID.randomUUID().toString().substring(0, 8);
    final List<UUID> jobs = new ArrayList<>();

    @BeforeEach
    void leases() {
        leases = new BlockLeases(jdbc, transactions, Clock.fixed(NOW, ZoneOffset.UTC),
                org.mockito.Mockito.mock(io.pgvault.storage.BlockStoreKeys.class));
    }

    @AfterEach
    void forget() {
        jdbc.update("delete from block_lease where repository = ?", repository);
        jdbc.update("delete from block_repository where repository = ?", repository);
        jobs.forEach(id -> jdbc.update("delete from job where id = ?", id));
    }

    private UUID job(String status) {
        UUID id = UUID.randomUUID();
        jdbc.update("insert into job (id, type, status, cluster, bytes_done, cancel_requested, created_at) values "
                + "(?, 'BACKUP', ?, 'c', 0, false, ?)", id, status, java.sql.Timestamp.from(NOW));
        jobs.add(id);
        return id;
    }

    /** Sessions waiting for a lock, as the catalog database reports them. */
    private int lockWaiters() {
        String product = jdbc.execute((java.sql.Connection c) -> c.getMetaData().getDatabaseProductName());
        Integer n = "PostgreSQL".equals(product)
                ? jdbc.queryForObject("select count(*) from pg_stat_activity where wait_event_type = 'Lock' and "
                        + "query like '%block_repository%'", Integer.class)
                : jdbc.queryForObject("select count(*) from information_schema.sessions where blocker_id is not null",
                        Integer.class);
        return n == null ? 0 : n;
    }

    private void end(UUID job) {
        jdbc.update("update job set status = 'SUCCEEDED' where id = ?", job);
    }

    @Test
    void aLiveLeaseStopsTheSweepAndALeaseTakenSinceItsStartStopsItsDeletions() throws Exception {
        OptionalLong empty = leases.sweepStart(repository);
        assertThat(empty).as("no lease yet: the sweep may start").isPresent();

        UUID backup = job("RUNNING");
        leases.take(repository, backup);
        leases.take(repository, backup); // taken again (a retry of the same job): one lease row, a new generation
        assertThat(jdbc.queryForObject("select count(*) from block_lease where repository = ?", Integer.class,
                repository)).isEqualTo(1);
        assertThat(leases.sweepStart(repository)).as("a RUNNING job's lease is live").isEmpty();

        end(backup);
        OptionalLong start = leases.sweepStart(repository);
        assertThat(start).as("its job ended").hasValue(empty.getAsLong() + 2);
        List<String> deleted = new ArrayList<>();
        assertThat(leases.underLock(repository, start.getAsLong(), () -> deleted.add("batch 1"))).isTrue();

        UUID copy = job("QUEUED");
        leases.take(repository, copy);
        end(copy);
        assertThat(leases.underLock(repository, start.getAsLong(), () -> deleted.add("batch 2")))
                .as("a lease was taken since the sweep began: its marks are out of date").isFalse();
        assertThat(deleted).containsExactly("batch 1");

        assertThat(leases.forgetEnded(repository)).isEqualTo(2);
        assertThat(jdbc.queryForObject("select count(*) from block_lease where repository = ?", Integer.class,
                repository)).isZero();
    }

    @Test
    void aJobTakingALeaseWhileABatchIsDeletedWaitsForTheBatchAndTheBatchAfterItDoesNotRun() throws Exception {
        long generation = leases.sweepStart(repository).orElseThrow();
        UUID backup = job("RUNNING");
        CountDownLatch deleting = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Boolean> batch = CompletableFuture.supplyAsync(() -> {
            try {
                return leases.underLock(repository, generation, () -> {
                    deleting.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    order.add("batch deleted");
                });
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(deleting.await(60, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> lease = CompletableFuture.runAsync(() -> {
            leases.take(repository, backup);
            order.add("lease taken");
        });
        // the lease waits on the repository row's lock, held by the batch's transaction: seen by the catalog itself
        // (no time is asserted), then the batch is let go
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (lockWaiters() == 0) {
            assertThat(lease).as("the lease did not wait for the batch").isNotDone();
            assertThat(System.nanoTime()).as("no session waits on the repository's row").isLessThan(deadline);
            Thread.sleep(20);
        }
        release.countDown();
        assertThat(batch.get(60, TimeUnit.SECONDS)).isTrue();
        lease.get(60, TimeUnit.SECONDS);
        assertThat(order).containsExactly("batch deleted", "lease taken");
        assertThat(leases.underLock(repository, generation, () -> order.add("next batch")))
                .as("the next batch sees the new lease").isFalse();
        assertThat(order).doesNotContain("next batch");
    }
}
