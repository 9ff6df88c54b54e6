package io.pgvault.blocks;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of block-store backups ({@code pgvault.blocks}).
 *
 * @param hostRead whether a BLOCKS backup reads the data directory itself when it is on this host (otherwise,
 *        and where it is not, pg_basebackup's stream is cut into blocks)
 * @param readWorkers files read side by side by a backup on the data directory's host; 0: one per core (at least
 *        two)
 */
@ConfigurationProperties("pgvault.blocks")
public record BlockProperties(@DefaultValue("true") boolean hostRead, @DefaultValue("0") int readWorkers) {

    /** The number of reading workers to use. */
    public int workers() {
        return readWorkers > 0 ? readWorkers : BlockStores.WORKERS;
    }
}
