package io.pgvault.blocks;

import io.pgvault.job.Cancellation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * The blocks of one backup copied from one repository's block store to another's, storing only those the target
 * lacks, and the manifest the copy needs there. A block's name in the target is computed from its plain bytes
 * with the target's own hasher: an encrypted repository names blocks by an HMAC under its own key, so names differ
 * whenever either side is keyed; then every block is read (and checked against its source name, so a damaged
 * source is never copied), hashed for the target and stored if absent. Between two plain repositories the names
 * are the same, and a block the target has is not even read.
 *
 * <p>The caller writes the returned manifest last, after every block it names is stored, as a backup does; it
 * must hold a {@link BlockLeases lease} on the target before this runs, so the sweep there deletes nothing it
 * reuses.
 */
public final class BlockCopy {

    private BlockCopy() {
    }

    /**
     * What the copy did: the manifest with the target's names ({@code rewritten}: they differ from the source's),
     * the distinct blocks the backup needs, how many were read from the source and how many were stored anew in
     * the target, with the bytes they take there.
     */
    public record Result(BlockManifest manifest, boolean rewritten, int blocks, int read, int added,
            long storedBytesAdded) {
    }

    public static Result run(BlockStore from, BlockStore to, BlockManifest manifest, int workers,
            Cancellation cancellation, LongConsumer blocksDone) throws IOException, InterruptedException {
        boolean sameNames = !from.keyed() && !to.keyed();
        List<String> names = new ArrayList<>(manifest.blocks());
        Map<String, String> renamed = new ConcurrentHashMap<>();
        ThreadLocal<BlockStore.Hasher> sourceHashers = ThreadLocal.withInitial(from::hasher);
        ThreadLocal<BlockStore.Hasher> targetHashers = ThreadLocal.withInitial(to::hasher);
        AtomicLong read = new AtomicLong();
        AtomicLong added = new AtomicLong();
        AtomicLong stored = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, workers), r -> {
            Thread t = new Thread(r, "pgvault-blocks-copy");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> work = new ArrayList<>();
            for (String name : names) {
                work.add(pool.submit(() -> {
                    cancellation.throwIfCancelled();
                    if (sameNames && to.hasToReference(name)) {
                        renamed.put(name, name);
                        return null;
                    }
                    byte[] data = from.read(name);
                    read.incrementAndGet();
                    String again = sourceHashers.get().name(data, data.length);
                    if (!again.equals(BlockStore.blockName(name))) {
                        throw new IOException("block " + name + " holds other content in the source (hash " + again
                                + "): verify the backup");
                    }
                    // a page delta is copied as its whole block: the target need not hold its base
                    String target = sameNames ? BlockStore.blockName(name) : targetHashers.get().name(data, data.length);
                    long n = to.storeIfAbsent(target, data, data.length);
                    if (n > 0) {
                        added.incrementAndGet();
                        stored.addAndGet(n);
                    }
                    renamed.put(name, target);
                    return null;
                }));
            }
            int done = 0;
            for (Future<?> f : work) {
                cancellation.throwIfCancelled();
                try {
                    f.get();
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof IOException io) {
                        throw io;
                    }
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IOException(cause.getMessage(), cause);
                }
                blocksDone.accept(++done);
            }
        } finally {
            io.pgvault.job.DaemonThreads.stopAndWait(pool);
        }
        List<BlockManifest.Entry> entries = manifest.entries().stream().map(e -> e.blocks().isEmpty() ? e
                : new BlockManifest.Entry(e.path(), e.type(), e.size(), e.mode(), e.mtime(), e.link(),
                        e.blocks().stream().map(renamed::get).toList())).toList();
        boolean rewritten = !sameNames || renamed.entrySet().stream().anyMatch(r -> !r.getKey().equals(r.getValue()));
        BlockManifest copy = rewritten ? new BlockManifest(manifest.version(), manifest.blockSize(), to.keyed(),
                entries) : manifest;
        return new Result(copy, rewritten, names.size(), (int) read.get(), (int) added.get(), stored.get());
    }
}
