package io.pgvault.blocks;

import io.pgvault.job.Cancellation;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * Reads the files of a data directory into the block store with {@code workers} threads, one file per worker at
 * a time, each with one block buffer: the heap holds at most {@code workers × blockSize} of file content, and
 * nothing is staged on disk. A file is cut into blocks as {@link TarBlockWriter} cuts pg_basebackup's stream, so
 * both readers name the same content with the same blocks.
 *
 * <p>Three things happen here that a tar stream cannot offer:
 * <ul>
 * <li><b>Reuse.</b> A file whose reference entry has the same size and mtime, and whose mtime is at or before
 * {@code reuseUpTo} (the reference's start less a margin), is not read: its block list is the reference's. A
 * change after the reference read the file gives it an mtime at or after the reference's start, never the old
 * one, so a changed file is never reused (see docs/blocks.md for the rule and its margin).</li>
 * <li><b>Page checks.</b> With {@code checkPages}, every whole 8 KiB page of a relation file is checked with
 * {@link PageChecksum} as read; a bad page is listed ({@code path block N}), not fatal.</li>
 * <li><b>Files that change.</b> A file that vanished before it was opened is left out (PostgreSQL drops
 * relation files during a backup, and WAL replay settles it); a file is read up to its end as found, growing or
 * not. A file's CRC-32C is kept for pg_verifybackup's manifest.</li>
 * </ul>
 */
public final class FileBlockReader {

    private static final Pattern RELATION = Pattern.compile(
            "^(?:global|base/\\d+|pg_tblspc/\\d+/[^/]+/\\d+)/\\d+(?:_(?:fsm|vm|init))?(?:\\.(\\d+))?$");

    private final BlockStore store;
    private final int blockSize;
    private final int workers;
    private final StoredCounts stored = new StoredCounts();
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong filesRead = new AtomicLong();
    private final AtomicLong filesReused = new AtomicLong();
    private final AtomicLong bytesReused = new AtomicLong();
    private final AtomicLong vanished = new AtomicLong();
    private final List<String> badPages = Collections.synchronizedList(new ArrayList<>());
    private volatile java.util.function.LongConsumer progress = n -> { };

    private volatile long maxBytesPerSecond;
    private final long startedNanos = System.nanoTime();

    /**
     * Reads at most {@code kilobytesPerSecond} kB/s across all workers (the BASE spec's {@code maxRate}, as
     * pg_basebackup's {@code --max-rate} limits the stream reader); null: no limit.
     */
    public void limitRate(Integer kilobytesPerSecond) {
        this.maxBytesPerSecond = kilobytesPerSecond == null ? 0 : kilobytesPerSecond * 1024L;
    }

    /** Holds the calling worker until the bytes read so far fit the rate since the reader was made. */
    private void throttle(long readSoFar) throws java.io.InterruptedIOException {
        long rate = maxBytesPerSecond;
        if (rate <= 0) {
            return;
        }
        long dueNanos = readSoFar * 1_000_000_000L / rate;
        long waitNanos = dueNanos - (System.nanoTime() - startedNanos);
        if (waitNanos > 0) {
            try {
                java.util.concurrent.TimeUnit.NANOSECONDS.sleep(waitNanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("cancelled while holding to maxRate");
            }
        }
    }

    /** {@code onBytes} hears the bytes read or reused so far (from any worker). */
    public void onProgress(java.util.function.LongConsumer onBytes) {
        this.progress = onBytes;
    }

    public FileBlockReader(BlockStore store, int blockSize, int workers) {
        this.store = store;
        this.blockSize = blockSize;
        this.workers = Math.max(1, workers);
    }

    /** Where a file's bytes come from (a file of the data directory, or a WAL segment from the archive). */
    @FunctionalInterface
    public interface Source {
        /** Opens the content; {@link NoSuchFileException}: it vanished, and is left out. */
        InputStream open() throws IOException;
    }

    /** A file (or directory, link) to take; {@code source} is null for what is not a file. */
    public record Item(BlockManifest.Entry entry, Source source, java.nio.file.Path file) {
    }

    /**
     * How reuse and page checks apply: {@code reference} by path (empty: read all), whose files are reused unread
     * when their size and mtime match and the mtime is at most {@code reuseUpTo}, and whose blocks are the bases of
     * page deltas for the files that are read.
     */
    public record Rules(Map<String, BlockManifest.Entry> reference, long reuseUpTo, boolean checkPages,
            long startLsn, boolean deltas) {

        public Rules(Map<String, BlockManifest.Entry> reference, long reuseUpTo, boolean checkPages, long startLsn) {
            this(reference, reuseUpTo, checkPages, startLsn, true);
        }

        public static Rules readAll(boolean checkPages, long startLsn) {
            return new Rules(Map.of(), Long.MIN_VALUE, checkPages, startLsn);
        }

        /**
         * A FULL: every file read, no delta made; {@code newest} (the newest backup's entries by path) only lets a
         * block it stored as a delta be referred to again when it has not changed.
         */
        public static Rules full(Map<String, BlockManifest.Entry> newest, boolean checkPages, long startLsn) {
            return new Rules(newest, Long.MIN_VALUE, checkPages, startLsn, false);
        }
    }

    /** What the reader did. */
    public record Stats(long blocks, long addedBlocks, long bytesRead, long storedBytesAdded, long filesRead,
            long filesReused, long bytesReused, long vanished, List<String> badPages, long deltaBlocks) {
    }

    public Stats stats() {
        return new Stats(stored.blocks(), stored.added(), bytesRead.get(), stored.bytes(), filesRead.get(),
                filesReused.get(), bytesReused.get(), vanished.get(), List.copyOf(badPages), stored.deltas());
    }

    /** A taken file: its entry with its blocks, and its CRC-32C (null when reused, not read). */
    public record Taken(BlockManifest.Entry entry, String crc32c) {
    }

    /**
     * Takes every item, in parallel; returns them in the items' order, without those that vanished.
     */
    public List<Taken> read(List<Item> items, Rules rules, Cancellation cancellation)
            throws IOException, InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "pgvault-blocks-file");
            t.setDaemon(true);
            return t;
        });
        try {
            ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[blockSize]);
            ThreadLocal<BlockStore.Hasher> hashers = ThreadLocal.withInitial(store::hasher);
            // the largest files first, so that no worker is left alone with a 1 GiB segment at the end while the
            // others idle; the answer keeps the items' order
            Integer[] bySize = new Integer[items.size()];
            for (int i = 0; i < bySize.length; i++) {
                bySize[i] = i;
            }
            java.util.Arrays.sort(bySize, java.util.Comparator.comparingLong((Integer i) -> items.get(i).entry().size())
                    .reversed());
            List<Future<Taken>> futures = new ArrayList<>(Collections.nCopies(items.size(), null));
            for (int i : bySize) {
                Item item = items.get(i);
                futures.set(i, pool.submit(() -> {
                    cancellation.throwIfCancelled();
                    return take(item, rules, buffers.get(), hashers.get());
                }));
            }
            List<Taken> taken = new ArrayList<>(items.size());
            for (Future<Taken> f : futures) {
                try {
                    Taken t = f.get();
                    if (t != null) {
                        taken.add(t);
                    }
                } catch (ExecutionException e) {
                    for (Future<Taken> other : futures) {
                        other.cancel(true);
                    }
                    Throwable cause = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
                    if (cause instanceof InterruptedException ie) {
                        throw ie;
                    }
                    throw cause instanceof IOException io ? io : new IOException("reading a file failed: " + cause,
                            cause);
                }
            }
            return taken;
        } finally {
            io.pgvault.job.DaemonThreads.stopAndWait(pool);
        }
    }

    private Taken take(Item item, Rules rules, byte[] buffer, BlockStore.Hasher hasher) throws IOException {
        BlockManifest.Entry e = item.entry();
        if (!e.isFile()) {
            return new Taken(e, null);
        }
        BlockManifest.Entry before = rules.reference().get(e.path());
        if (before != null && before.isFile() && before.size() == e.size() && before.mtime() == e.mtime()
                && e.mtime() <= rules.reuseUpTo()) {
            filesReused.incrementAndGet();
            progress.accept(bytesReused.addAndGet(e.size()) + bytesRead.get());
            return new Taken(new BlockManifest.Entry(e.path(), 'f', e.size(), e.mode(), e.mtime(), null,
                    before.blocks()), null);
        }
        Matcher relation = rules.checkPages() ? RELATION.matcher(e.path()) : null;
        long firstPage = relation != null && relation.matches()
                ? (relation.group(1) == null ? 0 : Long.parseLong(relation.group(1))) * PageChecksum.BLOCKS_PER_SEGMENT
                : -1;
        // a changed file's blocks are stored as page deltas against the reference's blocks where few pages changed
        List<String> previous = before != null && before.isFile() ? before.blocks() : List.of();
        List<String> names = new ArrayList<>();
        CRC32C crc = new CRC32C();
        long size = 0;
        try (InputStream in = item.source().open()) {
            while (true) {
                int n = in.readNBytes(buffer, 0, blockSize);
                if (n == 0) {
                    break;
                }
                if (firstPage >= 0) {
                    checkPages(item, buffer, n, size, firstPage, rules.startLsn());
                }
                crc.update(buffer, 0, n);
                String name = hasher.name(buffer, n);
                names.add(stored.count(store.store(name, buffer, n, StoredCounts.previous(previous, names.size()),
                        rules.deltas())));
                size += n;
                long read = bytesRead.addAndGet(n);
                progress.accept(read + bytesReused.get());
                throttle(read);
                if (n < blockSize) {
                    break;
                }
            }
        } catch (NoSuchFileException gone) {
            vanished.incrementAndGet();
            return null;
        }
        filesRead.incrementAndGet();
        int v = (int) crc.getValue();
        // pg_verifybackup prints a CRC-32C as its four bytes in memory order (little-endian)
        String hex = String.format("%02x%02x%02x%02x", v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
        return new Taken(new BlockManifest.Entry(e.path(), 'f', size, e.mode(), e.mtime(), null, names), hex);
    }

    private void checkPages(Item item, byte[] buffer, int length, long offset, long firstPage, long startLsn) {
        for (int at = 0; at + PageChecksum.PAGE <= length; at += PageChecksum.PAGE) {
            long block = firstPage + (offset + at) / PageChecksum.PAGE;
            if (!PageChecksum.verify(buffer, at, block, startLsn) && !reread(item, offset + at, block, startLsn)) {
                badPages.add(item.entry().path() + " block " + block);
            }
        }
    }

    /**
     * A page read while PostgreSQL wrote it can be torn (half old, half new): as pg_basebackup does, a failing
     * page is read once more and passes if that copy does.
     */
    private static boolean reread(Item item, long offset, long block, long startLsn) {
        if (item.file() == null) {
            return false;
        }
        byte[] page = new byte[PageChecksum.PAGE];
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(item.file())) {
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(page);
            while (bb.hasRemaining() && ch.read(bb, offset + bb.position()) > 0) {
                // until the page is whole or the file ends
            }
            return !bb.hasRemaining() && PageChecksum.verify(page, 0, block, startLsn);
        } catch (IOException e) {
            return false;
        }
    }
}
