package io.pgvault.blocks;

import io.pgvault.PgvaultProperties;
import io.pgvault.storage.BlockStoreKeys;
import io.pgvault.storage.Repositories;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * The block store of each repository, opened once (an encrypted repository's HMAC key is read, or created, on
 * first use). Blocks go through the repository's own store, so an encrypted repository encrypts them, and each
 * key they are written under is noted in the catalog ({@link BlockStoreKeys}).
 */
@Component
public class BlockStores {

    /**
     * Threads that hash, compress and store (or fetch) blocks side by side: two per core, at least four. A worker
     * waits on each new block's fsync (a local repository) or PUT (S3) as well as computing, so one per core left a
     * core idle about a third of a backup (bench/blocks.sh: a FULL at scale 200 in 6.5 s with four workers on two
     * cores, 7.4 to 8.8 s with two). Each holds a block, its compressed frame and a delta's base: 3 MiB.
     */
    public static final int WORKERS = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

    private final Repositories repositories;
    private final BlockStoreKeys keys;
    private final int level;
    private final Map<String, BlockStore> open = new ConcurrentHashMap<>();

    BlockStores(Repositories repositories, BlockStoreKeys keys, PgvaultProperties settings) {
        this.repositories = repositories;
        this.keys = keys;
        this.level = settings.blocks().compressionLevel();
    }

    /** The block store of a repository by its name. */
    public BlockStore of(String repository) throws IOException {
        BlockStore store = open.get(repository);
        if (store == null) {
            Repositories.Repository r = repositories.forReading(repository);
            store = BlockStore.of(r.store(), !"none".equals(r.encryption()), watch(repository, r), level);
            open.putIfAbsent(repository, store);
        }
        return store;
    }

    private BlockStore.KeyWatch watch(String repository, Repositories.Repository r) {
        if (!(r.store() instanceof EncryptedObjectStore encrypted)) {
            return BlockStore.KeyWatch.NONE;
        }
        return new BlockStore.KeyWatch() {
            @Override
            public String current() {
                return encrypted.currentKeyId();
            }

            @Override
            public void writing(String keyId, boolean always) {
                keys.writing(repository, keyId, always);
            }
        };
    }
}
