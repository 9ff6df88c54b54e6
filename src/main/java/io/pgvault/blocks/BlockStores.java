package io.pgvault.blocks;

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

    /** Threads that hash, compress and store (or fetch) blocks side by side: one per core, at least two. */
    public static final int WORKERS = Math.max(2, Runtime.getRuntime().availableProcessors());

    private final Repositories repositories;
    private final BlockStoreKeys keys;
    private final Map<String, BlockStore> open = new ConcurrentHashMap<>();

    BlockStores(Repositories repositories, BlockStoreKeys keys) {
        this.repositories = repositories;
        this.keys = keys;
    }

    /** The block store of a repository by its name. */
    public BlockStore of(String repository) throws IOException {
        BlockStore store = open.get(repository);
        if (store == null) {
            Repositories.Repository r = repositories.forReading(repository);
            store = BlockStore.of(r.store(), !"none".equals(r.encryption()), watch(repository, r));
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
