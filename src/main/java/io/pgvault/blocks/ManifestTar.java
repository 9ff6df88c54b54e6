package io.pgvault.blocks;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
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
 * most {@code 2 × workers} blocks in memory); the tar itself is written in manifest order. A block that is
 * missing or damaged fails the stream with the name of the file it belongs to.
 */
public final class ManifestTar {

    private ManifestTar() {
    }

    /**
     * The tar of the manifest's entries that {@code include} accepts; {@code progress} hears the plain bytes
     * written so far.
     */
    public static InputStream open(BlockStore store, BlockManifest manifest, Predicate<BlockManifest.Entry> include,
            int workers, LongConsumer progress) throws IOException {
        PipedInputStream in = new PipedInputStream(1024 * 1024);
        PipedOutputStream out = new PipedOutputStream(in);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        ExecutorService fetchers = Executors.newFixedThreadPool(Math.max(1, workers), daemon("pgvault-blocks-read"));
        Thread writer = daemon("pgvault-blocks-tar").newThread(() -> {
            try {
                write(store, manifest.entries().stream().filter(include).toList(), out, fetchers, 2 * workers, progress);
            } catch (Throwable t) {
                // recorded before the pipe closes, so that the reader's end of stream is an error, not an end
                failure.set(t);
            } finally {
                fetchers.shutdownNow();
                try {
                    out.close();
                } catch (IOException ignored) {
                    // the reader is gone
                }
            }
        });
        writer.start();
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                return b < 0 ? end(b) : b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n;
                try {
                    n = super.read(b, off, len);
                } catch (IOException e) {
                    // the writer thread died: say why
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
            public void close() throws IOException {
                writer.interrupt();
                super.close();
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

    private record Fetch(BlockManifest.Entry entry, Future<byte[]> bytes) {
    }

    private static void write(BlockStore store, List<BlockManifest.Entry> entries, OutputStream target,
            ExecutorService fetchers, int window, LongConsumer progress) throws IOException, InterruptedException {
        Deque<Fetch> ahead = new ArrayDeque<>();
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
                        return store.read(name);
                    } catch (IOException ex) {
                        throw new java.io.UncheckedIOException(ex);
                    }
                }, fetchers)));
            }
        };
        long written = 0;
        // never closed on a failure: the stream then ends without the tar's end marker, and tar fails on it too
        TarArchiveOutputStream tar = new TarArchiveOutputStream(target);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        for (BlockManifest.Entry e : entries) {
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
            tar.putArchiveEntry(t);
            long left = e.size();
            for (int i = 0; i < e.blocks().size(); i++) {
                fill.run();
                Fetch f = ahead.poll();
                byte[] bytes;
                try {
                    bytes = f.bytes().get();
                } catch (ExecutionException ex) {
                    throw new IOException("block " + e.blocks().get(i) + " of " + e.path() + " could not be read: "
                            + ex.getCause().getMessage(), ex.getCause());
                }
                if (bytes.length > left) {
                    throw new IOException("block " + e.blocks().get(i) + " of " + e.path() + " is longer than the file");
                }
                tar.write(bytes);
                left -= bytes.length;
                written += bytes.length;
                progress.accept(written);
            }
            if (left != 0) {
                throw new IOException("the blocks of " + e.path() + " hold " + (e.size() - left) + " bytes, not "
                        + e.size());
            }
            tar.closeArchiveEntry();
        }
        tar.finish();
        tar.flush();
    }
}
