package io.pgvault.blocks;

import io.pgvault.job.Cancellation;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Cuts a tar stream (pg_basebackup's output, read from its stdout as it comes) into blocks: each file into
 * {@code blockSize} pieces (the last one shorter; a file no larger than a block is one block), each piece
 * named by its hash and stored unless the repository has it. Relation segments are 1 GiB, so a changed page
 * costs one block, not one file.
 *
 * <p>Memory, not disk, holds what is in flight: the reader fills one of {@code workers + 2} buffers while the
 * workers hash, compress and store the others, so a backup needs at most {@code (workers + 2) × blockSize}
 * bytes of heap and nothing on the pgvault host's disk, whatever the database's size. Blocks are stored before
 * the manifest that names them is even built; see {@link BlockManifest}.
 */
public final class TarBlockWriter implements AutoCloseable {

    /** The default block size: 1 MiB. */
    public static final int DEFAULT_BLOCK_SIZE = 1024 * 1024;

    private final BlockStore store;
    private final Map<String, BlockManifest.Entry> previous;
    private final boolean makeDeltas;
    private final int blockSize;
    private final ExecutorService workers;
    private final BlockingQueue<byte[]> buffers;
    private final ThreadLocal<BlockStore.Hasher> hashers;
    private final StoredCounts stored = new StoredCounts();
    private final AtomicLong read = new AtomicLong();
    private volatile boolean closed;

    public TarBlockWriter(BlockStore store, int blockSize, int workers) {
        this(store, blockSize, workers, Map.of(), false);
    }

    /**
     * As {@link #TarBlockWriter(BlockStore, int, int)}, the blocks of each file stored as page deltas against
     * {@code previous}'s blocks of that path (the backup this one builds on) where few pages changed; without
     * {@code deltas} (a FULL), {@code previous} only lets an unchanged block it stored as a delta be referred to again.
     */
    public TarBlockWriter(BlockStore store, int blockSize, int workers, Map<String, BlockManifest.Entry> previous,
            boolean deltas) {
        this.previous = previous;
        this.makeDeltas = deltas;
        this.store = store;
        this.blockSize = blockSize;
        this.workers = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "pgvault-blocks-writer");
            t.setDaemon(true);
            return t;
        });
        this.buffers = new ArrayBlockingQueue<>(workers + 2);
        for (int i = 0; i < workers + 2; i++) {
            buffers.add(new byte[blockSize]);
        }
        this.hashers = ThreadLocal.withInitial(store::hasher);
    }

    /** What was stored: blocks seen, blocks added (of them, page deltas), plain bytes read, stored bytes added. */
    public record Stats(long blocks, long addedBlocks, long bytesRead, long storedBytesAdded, long deltaBlocks) {
    }

    public Stats stats() {
        return new Stats(stored.blocks(), stored.added(), read.get(), stored.bytes(), stored.deltas());
    }

    /**
     * Reads a whole tar stream; {@code prefix} is prepended to every path (e.g. {@code pg_tblspc/16384/} for a
     * tablespace's tar). Returns the entries in the order of the stream, each file with its block names.
     */
    public List<BlockManifest.Entry> read(InputStream tarStream, String prefix, Cancellation cancellation)
            throws IOException, InterruptedException {
        // files are not waited for one by one: small files' blocks are stored side by side, too
        List<Pending> pending = new ArrayList<>();
        TarArchiveInputStream tar = new TarArchiveInputStream(tarStream);
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            cancellation.throwIfCancelled();
            String path = prefix + strip(entry.getName());
            int mode = entry.getMode() & 07777;
            long mtime = entry.getModTime().getTime() / 1000;
            if (entry.isDirectory()) {
                pending.add(new Pending(new BlockManifest.Entry(path, 'd', 0, mode, mtime, null, null), null));
            } else if (entry.isSymbolicLink()) {
                pending.add(new Pending(new BlockManifest.Entry(path, 'l', 0, mode, mtime, entry.getLinkName(), null),
                        null));
            } else if (entry.isFile()) {
                pending.add(new Pending(new BlockManifest.Entry(path, 'f', entry.getSize(), mode, mtime, null, null),
                        storeFile(tar, entry.getSize(), previous.containsKey(path) ? previous.get(path).blocks() : List.of(),
                                cancellation)));
            } else {
                throw new IOException("pg_basebackup sent '" + entry.getName() + "', neither a file, a directory nor a link");
            }
        }
        List<BlockManifest.Entry> entries = new ArrayList<>(pending.size());
        for (Pending p : pending) {
            BlockManifest.Entry e = p.entry();
            entries.add(p.names() == null ? e : new BlockManifest.Entry(e.path(), e.type(), e.size(), e.mode(),
                    e.mtime(), null, resolve(p.names())));
        }
        return entries;
    }

    private record Pending(BlockManifest.Entry entry, List<Future<String>> names) {
    }

    private static String strip(String name) {
        String n = name.startsWith("./") ? name.substring(2) : name;
        return n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
    }

    private List<Future<String>> storeFile(InputStream in, long size, List<String> before, Cancellation cancellation)
            throws IOException, InterruptedException {
        List<Future<String>> names = new ArrayList<>();
        long left = size;
        while (left > 0) {
            cancellation.throwIfCancelled();
            byte[] buffer = buffers.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (buffer == null) {
                if (closed) {
                    throw new IOException("the block writer was closed");
                }
                continue;
            }
            int length = (int) Math.min(blockSize, left);
            int n = in.readNBytes(buffer, 0, length);
            if (n < length) {
                buffers.add(buffer);
                throw new IOException("the tar stream ended inside a file");
            }
            left -= length;
            read.addAndGet(length);
            String was = StoredCounts.previous(before, names.size());
            names.add(CompletableFuture.supplyAsync(() -> store(buffer, length, was), workers));
        }
        return names;
    }

    private List<String> resolve(List<Future<String>> names) throws IOException, InterruptedException {
        List<String> resolved = new ArrayList<>(names.size());
        for (Future<String> f : names) {
            try {
                String name = null;
                while (name == null) {
                    try {
                        name = f.get(200, java.util.concurrent.TimeUnit.MILLISECONDS);
                    } catch (java.util.concurrent.TimeoutException notYet) {
                        if (closed) {
                            throw new IOException("the block writer was closed");
                        }
                    }
                }
                resolved.add(name);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
                throw cause instanceof IOException io ? io : new IOException("storing a block failed", cause);
            }
        }
        return resolved;
    }

    private String store(byte[] buffer, int length, String was) {
        try {
            String name = hashers.get().name(buffer, length);
            return stored.count(store.store(name, buffer, length, was, makeDeltas));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            buffers.add(buffer);
        }
    }

    /**
     * Lets the blocks already read finish storing (at most {@code workers + 2} of them, so that a retry finds
     * them), then stops the workers.
     */
    @Override
    public void close() {
        closed = true;
        workers.shutdown();
        try {
            workers.awaitTermination(2, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        io.pgvault.job.DaemonThreads.stopAndWait(workers);
    }
}
