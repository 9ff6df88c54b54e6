package io.pgvault.backup.physical;

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
 * ({@code pgvault.storage.sweep.grace}, which must exceed the longest backup). It does nothing while a
 * block-store backup of the repository is queued or running (see {@link BlockSweep} for the rule and its window).
 * Runs after the backup leftovers, so manifests of deleted backups are gone first.
 */
@Component
@Order(100)
class BlockGarbage implements RepositorySweep {

    private static final Logger log = LoggerFactory.getLogger(BlockGarbage.class);

    private final BlockStores stores;
    private final JdbcTemplate catalog;

    BlockGarbage(BlockStores stores, JdbcTemplate catalog) {
        this.stores = stores;
        this.catalog = catalog;
    }

    @Override
    public String name() {
        return "unreferenced-blocks";
    }

    @Override
    public List<String> sweep(Repositories.Repository repository, Instant before) throws IOException {
        if (repository.store().list(BlockStore.PREFIX).isEmpty()) {
            return List.of();
        }
        BlockSweep.Result result = BlockSweep.sweep(repository.store(), stores.of(repository.name()), before,
                () -> running(repository.name()));
        if (result.skipped()) {
            log.info("Block sweep of repository '{}' stopped: a block-store backup is queued or running ({} removed)",
                    repository.name(), result.removed());
        }
        return java.util.Collections.nCopies(result.removed(), "an unreferenced block");
    }

    private boolean running(String repository) {
        Integer n = catalog.queryForObject("select count(*) from backup where format = 'BLOCKS' and status in "
                + "('QUEUED', 'RUNNING') and repository = ?", Integer.class, repository);
        return n != null && n > 0;
    }
}
