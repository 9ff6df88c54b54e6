package io.pgvault.blocks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A backup in the block store as a plain tar stream, so that every place that unpacks a BASE backup (tar as the
 * PostgreSQL OS user into a data directory, a verification's scratch directory) unpacks this one the same way,
 * with the same refusals. {@code workers} threads fetch, decrypt and decompress blocks ahead of the writer (at
 * most {@code 2 × workers} blocks in memory, and four more queued to the reader); the tar itself is written in
 * manifest order. A block that is missing or damaged fails the stream with the name of the file it belongs to.
 * <p>
 * The bytes are not copied on their way: each block is decompressed into an array of a small pool, that array is
 * handed to the reader as it is ({@link BoundedPipe#hand}), and comes back to the pool once read. Only the tar
 * headers are made apart (commons-compress writes them, long names and large sizes as POSIX extended headers).
 */
public final class ManifestTar {

    private static final int RECORD = 512;
    /** The tar is padded to a multiple of this, as tar's own default blocking factor (20 records) does. */
    private static final int TAR_BLOCK = 20 * RECORD;
    private static final byte[] ZEROS = new byte[TAR_BLOCK];
    /** Chunks (blocks, headers, padding) handed to the reader and not read yet. */
    private static final int QUEUED = 4;

    private ManifestTar() {
    }

    /**
     * The tar of the manifest's entries that {@code include} accepts; {@code progress} hears the plain bytes
     * written so far.
     */
    public static InputStream open(BlockStore store, BlockManifest manifest, Predicate<BlockManifest.Entry> include,
            int workers, LongConsumer progress) throws IOException {
        int window = 2 * Math.max(1, workers);
        BoundedPipe pipe = new BoundedPipe(QUEUED);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        ExecutorService fetchers = Executors.newFixedThreadPool(Math.max(1, workers), daemon("pgvault-blocks-read"));
        Thread writer = daemon("pgvault-blocks-tar").newThread(() -> {
            try {
                write(store, manifest.blockSize(), manifest.entries().stream().filter(include).toList(), pipe,
                        fetchers, window, progress);
                pipe.finish();
            } catch (Throwable t) {
                // recorded before the pipe ends, so that the reader's end of stream is an error, not an end
                failure.set(t);
                pipe.abandon();
            } finally {
                fetchers.shutdownNow();
            }
        });
        writer.start();
        InputStream in = pipe.input();
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n;
                try {
                    n = in.read(b, off, len);
                } catch (IOException e) {
                    throw failure.get() != null ? asIo(failure.get()) : e;
                }
                return n < 0 ? end(n) : n;
            }

            private int end(int n) throws IOException {
                if (failure.get() != null) {
                    throw asIo(failure.get());
                }
                return n;
            }

            @Override
            public void close() {
                // a reader on another thread that takes the end now gets an error, never a clean end of a cut tar
                failure.compareAndSet(null, new IOException("the tar stream was closed before its end"));
                // the writer fails at its next hand-over and stops its fetchers
                pipe.abandon();
                writer.interrupt();
            }
        };
    }

    private static IOException asIo(Throwable t) {
        return t instanceof IOException io ? io : new IOException(t.getMessage(), t);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    private record Fetch(BlockManifest.Entry entry, Future<BlockStore.Block> block) {
    }

    /** Arrays of one block's size that fetchers decompress into and the reader gives back; more are made if needed. */
    private static final class Spares {
        private final BlockingQueue<byte[]> free;
        private final int size;

        Spares(int size, int keep) {
            this.size = size;
            this.free = new ArrayBlockingQueue<>(keep);
        }

        byte[] take() {
            byte[] spare = free.poll();
            return spare != null ? spare : new byte[size];
        }

        void give(byte[] array) {
            if (array.length == size) {
                free.offer(array);
            }
        }
    }

    private static void write(BlockStore store, int blockSize, List<BlockManifest.Entry> entries,
            BoundedPipe pipe, ExecutorService fetchers, int window, LongConsumer progress)
            throws IOException, InterruptedException {
        Deque<Fetch> ahead = new ArrayDeque<>();
        // blocks ahead of the writer, blocks queued to the reader, the one it reads
        Spares spares = new Spares(blockSize, window + QUEUED + 2);
        // a cursor over every block of every file, in order, kept `window` blocks ahead of the writer
        int[] cursor = {0, 0};
        Runnable fill = () -> {
            while (ahead.size() < window && cursor[0] < entries.size()) {
                BlockManifest.Entry e = entries.get(cursor[0]);
                if (cursor[1] >= e.blocks().size()) {
                    cursor[0]++;
                    cursor[1] = 0;
                    continue;
                }
                String name = e.blocks().get(cursor[1]++);
                ahead.add(new Fetch(e, CompletableFuture.supplyAsync(() -> {
                    try {
                        return store.read(name, spares.take());
                    } catch (IOException ex) {
                        throw new java.io.UncheckedIOException(ex);
                    }
                }, fetchers)));
            }
        };
        long written = 0;
        long total = 0;
        ByteArrayOutputStream headers = new ByteArrayOutputStream(4 * RECORD);
        for (BlockManifest.Entry e : entries) {
            total += header(e, headers, pipe);
            long left = e.size();
            for (int i = 0; i < e.blocks().size(); i++) {
                fill.run();
                Fetch f = ahead.poll();
                BlockStore.Block block;
                try {
                    block = f.block().get();
                } catch (ExecutionException ex) {
                    throw new IOException("block " + e.blocks().get(i) + " of " + e.path() + " could not be read: "
                            + ex.getCause().getMessage(), ex.getCause());
                }
                if (block.length() > left) {
                    spares.give(block.bytes());
                    throw new IOException("block " + e.blocks().get(i) + " of " + e.path() + " is longer than the file");
                }
                byte[] bytes = block.bytes();
                pipe.hand(bytes, 0, block.length(), () -> spares.give(bytes));
                left -= block.length();
                written += block.length();
                total += block.length();
                progress.accept(written);
            }
            if (left != 0) {
                throw new IOException("the blocks of " + e.path() + " hold " + (e.size() - left) + " bytes, not "
                        + e.size());
            }
            int pad = (int) ((RECORD - e.size() % RECORD) % RECORD);
            pipe.hand(ZEROS, 0, pad, () -> { });
            total += pad;
        }
        // the end: two zero records, then up to the tar block
        long end = total + 2 * RECORD;
        int last = (int) ((TAR_BLOCK - end % TAR_BLOCK) % TAR_BLOCK) + 2 * RECORD;
        pipe.hand(ZEROS, 0, Math.min(last, ZEROS.length), () -> { });
        if (last > ZEROS.length) {
            pipe.hand(ZEROS, 0, last - ZEROS.length, () -> { });
        }
    }

    /**
     * The entry's tar header (with a POSIX extended header before it when its name or size needs one), handed to
     * the reader; returns its length. commons-compress writes it into a stream of its own that is never finished.
     */
    private static int header(BlockManifest.Entry e, ByteArrayOutputStream into, BoundedPipe pipe) throws IOException {
        TarArchiveEntry t;
        if (e.type() == 'd') {
            t = new TarArchiveEntry(e.path() + "/");
        } else if (e.type() == 'l') {
            t = new TarArchiveEntry(e.path(), TarArchiveEntry.LF_SYMLINK);
            t.setLinkName(e.link());
        } else {
            t = new TarArchiveEntry(e.path());
            t.setSize(e.size());
        }
        t.setMode((t.isDirectory() ? 040000 : t.isSymbolicLink() ? 0120000 : 0100000) | e.mode());
        t.setModTime(e.mtime() * 1000);
        into.reset();
        // one record per block: each header record goes out as soon as it is whole
        TarArchiveOutputStream tar = new TarArchiveOutputStream(into, RECORD);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.putArchiveEntry(t);
        tar.flush();
        byte[] header = into.toByteArray();
        pipe.hand(header, 0, header.length, () -> { });
        return header.length;
    }
}
