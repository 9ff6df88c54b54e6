package io.pgvault.backup.physical;

import io.pgvault.blocks.BlockLeases;
import io.pgvault.blocks.BlockStore;
import io.pgvault.blocks.BlockStores;
import io.pgvault.blocks.BlockSweep;
import io.pgvault.storage.Repositories;
import io.pgvault.storage.RepositorySweep;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The block store's garbage: deleting or expiring a block-store backup removes its manifest (its location, like
 * any backup's files); this sweep, run with the repository sweeps ({@code pgvault.storage.sweep.every}), then
 * removes the blocks no stored manifest names and that were written before the sweep's grace period
 * ({@code pgvault.storage.sweep.grace}). Each batch of deletions runs under the lease rule of {@link BlockLeases}:
 * never while a job that reuses blocks (a BLOCKS backup, a copy of one) holds a lease on the repository, nor after
 * one took a lease since the sweep began marking.
 * Runs after the backup leftovers, so manifests of deleted backups are gone first.
 */
@Component
@Order(100)
class BlockGarbage implements RepositorySweep {

    private static final Logger log = LoggerFactory.getLogger(BlockGarbage.class);

    private final BlockStores stores;
    private final JdbcTemplate catalog;

    private final BlockLeases leases;

    BlockGarbage(BlockStores stores, JdbcTemplate catalog, BlockLeases leases) {
        this.stores = stores;
        this.catalog = catalog;
        this.leases = leases;
    }

    @Override
    public String name() {
        return "unreferenced-blocks";
    }

    @Override
    public List<String> sweep(Repositories.Repository repository, Instant before) throws IOException {
        // one level (at most 256 shard directories), not every block
        if (repository.store().listLevel(BlockStore.PREFIX).isEmpty()) {
            return List.of();
        }
        BlockSweep.Result result = BlockSweep.sweep(repository.store(), stores.of(repository.name()), before,
                gate(repository.name()));
        leases.forgetEnded(repository.name());
        if (result.skipped()) {
            log.info("Block sweep of repository '{}' stopped: a block-store backup is queued or running ({} removed)",
                    repository.name(), result.removed());
        }
        return java.util.Collections.nCopies(result.removed(), "an unreferenced block");
    }

    /** The lease rule of {@link BlockLeases}, and (as before it) no BLOCKS backup of the repository queued or running. */
    private BlockSweep.Gate gate(String repository) {
        BlockSweep.Gate leased = leases.gate(repository);
        return new BlockSweep.Gate() {
            /** The repository's SUCCEEDED BLOCKS backups when marking began: each has its manifest stored. */
            private int recorded;

            @Override
            public boolean start() throws IOException {
                if (running(repository) || !leased.start()) {
                    return false;
                }
                recorded = succeeded(repository);
                return true;
            }

            @Override
            public boolean marked(int manifests) {
                if (manifests >= recorded) {
                    return true;
                }
                // a listing that missed manifests (a store that lists less than it holds) would delete live blocks
                log.warn("Block sweep of repository '{}' found {} manifest(s), and the catalog has {} SUCCEEDED "
                        + "block-store backup(s) in it: nothing is deleted", repository, manifests, recorded);
                return false;
            }

            @Override
            public boolean delete(BlockLeases.Deletions batch) throws IOException {
                return !running(repository) && leased.delete(batch);
            }
        };
    }

    private int succeeded(String repository) {
        Integer n = catalog.queryForObject("select count(*) from backup where format = 'BLOCKS' and status = "
                + "'SUCCEEDED' and repository = ?", Integer.class, repository);
        return n == null ? 0 : n;
    }

    private boolean running(String repository) {
        Integer n = catalog.queryForObject("select count(*) from backup where format = 'BLOCKS' and status in "
                + "('QUEUED', 'RUNNING') and repository = ?", Integer.class, repository);
        return n != null && n > 0;
    }
}
