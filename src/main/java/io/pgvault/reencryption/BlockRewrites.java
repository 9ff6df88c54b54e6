package io.pgvault.reencryption;

import io.pgvault.blocks.BlockLeases;
import io.pgvault.blocks.BlockStore;
import io.pgvault.job.JobCancelledException;
import io.pgvault.storage.BlockStoreKeys;
import io.pgvault.storage.ObjectRewrite;
import io.pgvault.storage.codec.Codec;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.springframework.stereotype.Component;

/**
 * The repository's block store ({@code .blocks/}: the blocks of BLOCKS backups and {@code .blocks/hmac-key}), which
 * the catalog does not list: every object there is listed and its first line read, and each one under an older key
 * is written again under the current key with its own name ({@link ObjectRewrite#rewriteInPlace}), since manifests
 * name blocks by content and the name stays. A put replaces an object in one step, so every block reads, under
 * either key, whatever fails.
 *
 * <p>Writers of blocks (BLOCKS backups, copies of them) write under the key current where they run, and may skip a
 * block that is there under an older key: that one is listed here, since it stays (the sweep deletes nothing while
 * a lease is live). What a listing cannot see is a block written after it under an older key (a put begun before
 * the rotation, an instance that has not seen it yet). Hence the catalog's note of the keys the block store may
 * hold ({@link BlockStoreKeys}) is cleared to the current key only when no block lease was live when the listing
 * began and none was taken until the end ({@link BlockLeases}, under the lock the sweep uses). Otherwise the block
 * store is listed once more after the writers end (waiting at most {@link #WAIT}), and the run fails if they keep
 * writing: the old keys stay noted, and a key they name cannot be removed.
 */
@Component
class BlockRewrites {

    /** How long a second pass waits for the block store's writers to end. */
    static final Duration WAIT = Duration.ofMinutes(10);

    /** Objects of the block store read or rewritten at once (each a few requests to the store, little CPU). */
    static final int WORKERS = 8;

    /** The largest block-store object rewritten in memory: a block (1 MiB by default, at most 64 MiB) compressed. */
    private static final int MAX_OBJECT = 65 * 1024 * 1024;

    private final ObjectRewrite objects;
    private final BlockLeases leases;
    private final BlockStoreKeys keys;

    BlockRewrites(ObjectRewrite objects, BlockLeases leases, BlockStoreKeys keys) {
        this.objects = objects;
        this.leases = leases;
        this.keys = keys;
    }

    /** One listing of the block store: the lease generation before it (empty: a writer held a lease), what it found. */
    record Listing(OptionalLong generation, List<String> notUnderKey, int listed) {
    }

    /** Lists the block store, after reading the lease generation; answers what is not under {@code keyId}. */
    Listing list(String repository, String keyId) throws IOException {
        OptionalLong generation = leases.sweepStart(repository);
        List<String> listed = objects.list(repository, BlockStore.PREFIX);
        java.util.Set<String> notUnder = java.util.concurrent.ConcurrentHashMap.newKeySet();
        each(listed, key -> {
            String under;
            try {
                under = objects.keyIdOf(repository, key);
            } catch (java.nio.file.NoSuchFileException e) {
                return; // swept meanwhile
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().contains("is not an object pgvault encrypted")) {
                    return; // stored unencrypted: needs no key
                }
                throw e;
            }
            if (!keyId.equals(under)) {
                notUnder.add(key);
            }
        });
        return new Listing(generation, listed.stream().filter(notUnder::contains).toList(), listed.size());
    }

    /** Rewrites what the listing found under an older key, then clears the noted keys if no writer ran. */
    boolean rewrite(Listing listing, Progress p) throws IOException {
        each(listing.notUnderKey(), key -> {
            synchronized (p) {
                p.next(key);
            }
            Codec codec = key.equals(BlockStore.PREFIX + "hmac-key") ? Codec.NONE : Codec.ZSTD;
            boolean rewritten = objects.rewriteInPlace(p.repository, key, codec, MAX_OBJECT).isPresent();
            synchronized (p) {
                if (rewritten) {
                    p.rewritten(0);
                    p.blocks++;
                } else {
                    p.skipped++;
                    p.done(0);
                }
            }
        });
        if (listing.generation().isEmpty()) {
            return false;
        }
        return leases.underLock(p.repository, listing.generation().getAsLong(),
                () -> keys.clearTo(p.repository, listing.listed() == 0 ? null : p.keyId));
    }

    /**
     * After a pass that could not clear: waits (cancellable) until no writer holds a lease, lists again and rewrites
     * what is new; true when the noted keys could be cleared then.
     */
    boolean again(Progress p) throws IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        p.log("block-store writers (BLOCKS backups, copies) held a lease while the block store was listed: blocks "
                + "they wrote may be under an older key; listing it again once none runs (waiting at most "
                + WAIT.toMinutes() + " minutes)");
        while (leases.sweepStart(p.repository).isEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            p.context.phase("waiting for the block store's writers to end");
            p.context.cancellation().throwIfCancelled();
            try {
                Thread.sleep(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JobCancelledException("interrupted while waiting for the block store's writers");
            }
        }
        Listing second = list(p.repository, p.keyId);
        p.more(second.notUnderKey().size());
        p.log("the block store listed again: " + second.listed() + " object(s), " + second.notUnderKey().size()
                + " under an older key");
        return rewrite(second, p);
    }

    /** Work on one object of the block store. */
    @FunctionalInterface
    interface ObjectTask {
        void run(String key) throws IOException;
    }

    /**
     * Runs {@code task} on every key, {@link #WORKERS} at a time: each object costs a few requests to the store and
     * little CPU, so a store with a million blocks is not read and written one request after the other. The first
     * failure stops the taking of further keys and is thrown once the running ones end.
     */
    static void each(List<String> keys, ObjectTask task) throws IOException {
        int workers = Math.min(WORKERS, keys.size());
        if (workers <= 1) {
            for (String key : keys) {
                task.run(key);
            }
            return;
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(workers,
                io.pgvault.job.DaemonThreads.named("pgvault-block-rewrite"));
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        try {
            List<java.util.concurrent.Future<?>> running = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                running.add(pool.submit(() -> {
                    int i;
                    while (failure.get() == null && (i = next.getAndIncrement()) < keys.size()) {
                        try {
                            task.run(keys.get(i));
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        }
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : running) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failure.compareAndSet(null, e.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobCancelledException("interrupted while rewriting the block store");
        } finally {
            io.pgvault.job.DaemonThreads.stopAndWait(pool);
        }
        Throwable t = failure.get();
        if (t instanceof IOException io) {
            throw io;
        } else if (t instanceof RuntimeException re) {
            throw re;
        } else if (t instanceof Error err) {
            throw err;
        } else if (t != null) {
            throw new IOException(t);
        }
    }

    /** The keys the block store may still hold objects under, for the failure's message. */
    java.util.Set<String> noted(String repository) {
        return keys.keyIds(repository);
    }
}
