package io.pgvault.blocks;

import io.pgvault.storage.Repositories;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * The block store of each repository, opened once (an encrypted repository's HMAC key is read, or created, on
 * first use). Blocks go through the repository's own store, so an encrypted repository encrypts them.
 */
@Component
public class BlockStores {

    /** Threads that hash, compress and store (or fetch) blocks side by side: one per core, at least two. */
    public static final int WORKERS = Math.max(2, Runtime.getRuntime().availableProcessors());

    private final Repositories repositories;
    private final Map<String, BlockStore> open = new ConcurrentHashMap<>();

    BlockStores(Repositories repositories) {
        this.repositories = repositories;
    }

    /** The block store of a repository by its name. */
    public BlockStore of(String repository) throws IOException {
        BlockStore store = open.get(repository);
        if (store == null) {
            Repositories.Repository r = repositories.forReading(repository);
            store = BlockStore.of(r.store(), !"none".equals(r.encryption()));
            open.putIfAbsent(repository, store);
        }
        return store;
    }
}
