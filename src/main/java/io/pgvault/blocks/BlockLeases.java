package io.pgvault.blocks;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.UUID;
import io.pgvault.storage.BlockStoreKeys;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Closes the race between the block sweep and a job that reuses blocks (phase 1 left a window: a backup starting
 * inside a batch of deletions). Every job that checks whether a block exists in a repository (a BLOCKS backup, a
 * copy of one into that repository) first takes a <b>lease</b> there, in the catalog, under the lock of the
 * repository's row in {@code block_repository}, and that row counts the leases ever taken (its generation). The
 * sweep reads the generation before it marks, and deletes each batch of blocks under the same lock, only while
 * the generation is unchanged and no lease is live (its job QUEUED or RUNNING).
 *
 * <p>Why that is safe: take a block B deleted in some batch, and a job J that found B present and reused it. J's
 * lease was taken under the lock before J checked B. If J took it after the sweep read the generation, the
 * generation moved and no batch ran after J's lease; a batch that ran before it finished its deletions before J
 * checked anything, so J found B absent and stored it again. If J took it before, J was either still live when the
 * sweep began (the sweep stops: a lease is live) or finished, and then J's manifest, written before its job ended,
 * was read by the marking, which kept B. A lease of a job that died stays counted and is no longer live.
 */
@Component
public class BlockLeases {

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transactions;
    private final Clock clock;
    private final BlockStoreKeys keys;

    BlockLeases(JdbcTemplate jdbc, PlatformTransactionManager transactions, Clock clock, BlockStoreKeys keys) {
        this.jdbc = jdbc;
        this.transactions = new TransactionTemplate(transactions);
        this.clock = clock;
        this.keys = keys;
    }

    /**
     * Takes a lease on the repository's blocks for the job; call before checking or writing any block there. The
     * keys this instance noted for the block store are noted again from now on ({@link BlockStoreKeys}): a
     * re-encryption may have cleared them, and it clears only while no lease is taken.
     */
    public void take(String repository, UUID jobId) {
        ensureRow(repository);
        transactions.executeWithoutResult(status -> {
            long generation = lock(repository);
            jdbc.update("update block_repository set lease_generation = ? where repository = ?", generation + 1,
                    repository);
            if (jdbc.update("update block_lease set taken_at = ? where job_id = ? and repository = ?",
                    Timestamp.from(clock.instant()), jobId, repository) == 0) {
                jdbc.update("insert into block_lease (job_id, repository, taken_at) values (?, ?, ?)", jobId,
                        repository, Timestamp.from(clock.instant()));
            }
        });
        keys.leaseTaken(repository);
    }

    /**
     * Where a sweep of the repository starts: the lease generation to hold its deletions to, or empty when a lease
     * is live (the sweep does nothing then).
     */
    public java.util.OptionalLong sweepStart(String repository) {
        ensureRow(repository);
        return transactions.execute(status -> {
            long generation = lock(repository);
            return live(repository) ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(generation);
        });
    }

    /** The sweep's gate for the repository: {@link #sweepStart} before marking, {@link #underLock} for each batch. */
    public BlockSweep.Gate gate(String repository) {
        return new BlockSweep.Gate() {
            private long generation = -1;

            @Override
            public boolean start() {
                java.util.OptionalLong g = sweepStart(repository);
                generation = g.orElse(-1);
                return g.isPresent();
            }

            @Override
            public boolean delete(Deletions batch) throws java.io.IOException {
                return underLock(repository, generation, batch);
            }
        };
    }

    /** Deletions the sweep runs under the repository's lock. */
    @FunctionalInterface
    public interface Deletions {
        void run() throws java.io.IOException;
    }

    /**
     * Runs {@code deletions} under the repository's lock if no lease was taken since {@code generation} and none is
     * live; false (and nothing run) otherwise. The lock is held until they are done, so a job taking a lease waits.
     */
    public boolean underLock(String repository, long generation, Deletions deletions) throws java.io.IOException {
        java.io.IOException[] failure = {null};
        Boolean ran = transactions.execute(status -> {
            if (lock(repository) != generation || live(repository)) {
                return false;
            }
            try {
                deletions.run();
            } catch (java.io.IOException e) {
                failure[0] = e;
            }
            return true;
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        return Boolean.TRUE.equals(ran);
    }

    /** Forgets the leases of jobs that ended (they still count in the generation). */
    public int forgetEnded(String repository) {
        return jdbc.update("delete from block_lease where repository = ? and job_id not in (select id from job where "
                + "status in ('QUEUED', 'RUNNING'))", repository);
    }

    private boolean live(String repository) {
        Integer n = jdbc.queryForObject("select count(*) from block_lease l join job j on j.id = l.job_id where "
                + "l.repository = ? and j.status in ('QUEUED', 'RUNNING')", Integer.class, repository);
        return n != null && n > 0;
    }

    private long lock(String repository) {
        Long generation = jdbc.queryForObject("select lease_generation from block_repository where repository = ? "
                + "for update", Long.class, repository);
        return generation == null ? 0 : generation;
    }

    private void ensureRow(String repository) {
        Integer n = jdbc.queryForObject("select count(*) from block_repository where repository = ?", Integer.class,
                repository);
        if (n != null && n > 0) {
            return;
        }
        try {
            jdbc.update("insert into block_repository (repository, lease_generation) values (?, 0)", repository);
        } catch (DuplicateKeyException e) {
            // another instance created it first
        }
    }
}
