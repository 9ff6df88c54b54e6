package io.pgvault.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A file a tool writes as a stream (pg_dumpall's and a PLAIN pg_dump's standard output) that goes straight to an
 * object store while it is written, with no local copy. A worker thread runs {@link ObjectStore#put} on what the
 * writer hands over, in chunks, through a small bounded queue.
 *
 * <p>The object must not appear before the backup succeeded, yet a tool's stream is closed on failure too. So
 * the end of the stream is not the end of the upload: the upload waits at the end for a verdict.
 * {@link #complete} lets it finish (the object appears, whole); {@link #abandon} makes its last read fail,
 * which aborts the upload (no object, no parts). A put that fails by itself fails the writer's next write.
 */
final class StreamedUpload {

    private static final byte[] END = new byte[0];
    private static final int CHUNK = 256 * 1024;

    private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(16);
    private final CompletableFuture<Boolean> verdict = new CompletableFuture<>();
    private final CompletableFuture<ObjectStore.StoredObject> put = new CompletableFuture<>();
    private final String key;

    StreamedUpload(ObjectStore store, String key, Executor uploads) {
        this.key = key;
        uploads.execute(() -> {
            try {
                put.complete(store.put(key, new Reader()));
            } catch (Throwable e) {
                put.completeExceptionally(e);
            }
        });
    }

    /** Where the tool's bytes go; closing it ends the stream (the upload then waits for its verdict). */
    OutputStream writer() {
        return new Writer();
    }

    /** Lets the upload finish and waits for it: the object is then stored, whole. */
    ObjectStore.StoredObject complete() throws IOException {
        verdict.complete(true);
        return await();
    }

    /** Makes the upload fail (aborted, nothing stored) and waits for it to end. */
    void abandon() {
        verdict.complete(false);
        try {
            // the reader may be waiting for the next chunk of a writer that stopped without closing
            while (!put.isDone() && !chunks.offer(END, 100, TimeUnit.MILLISECONDS)) {
                // the reader drains the queue meanwhile
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            await();
        } catch (IOException expected) {
            // the abandoned upload fails, as it should
        }
    }

    private ObjectStore.StoredObject await() throws IOException {
        try {
            return put.get();
        } catch (ExecutionException e) {
            // a new exception at every call: the writer's write and its close (in one try-with-resources) both
            // report the failed upload, and one instance thrown twice ends in "Self-suppression not permitted"
            throw new IOException("the upload of " + key + " failed: "
                    + io.pgvault.job.FailureCause.describe(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while uploading " + key);
        }
    }

    private final class Writer extends OutputStream {
        private byte[] buffer = new byte[CHUNK];
        private int filled;
        private boolean closed;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, buffer.length - filled);
                System.arraycopy(b, off, buffer, filled, n);
                filled += n;
                off += n;
                len -= n;
                if (filled == buffer.length) {
                    hand(buffer);
                    buffer = new byte[CHUNK];
                    filled = 0;
                }
            }
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            if (filled > 0) {
                hand(java.util.Arrays.copyOf(buffer, filled));
            }
            hand(END);
        }

        /** Queues a chunk, or fails when the upload has ended (failed, or abandoned) and will read no more. */
        private void hand(byte[] chunk) throws IOException {
            try {
                while (!chunks.offer(chunk, 200, TimeUnit.MILLISECONDS)) {
                    if (put.isDone()) {
                        await();
                        throw new IOException("the upload of " + key + " ended before its content did");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while uploading " + key);
            }
        }
    }

    private final class Reader extends InputStream {
        private byte[] current = new byte[0];
        private int position;
        private boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (position == current.length) {
                if (ended) {
                    return -1;
                }
                try {
                    current = chunks.take();
                    position = 0;
                    if (current == END) {
                        ended = true;
                        if (!verdict.get()) {
                            throw new IOException("the backup did not succeed: the upload of " + key
                                    + " is abandoned");
                        }
                        return -1;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while uploading " + key);
                } catch (ExecutionException e) {
                    throw new IOException(e);
                }
            }
            int n = Math.min(len, current.length - position);
            System.arraycopy(current, position, b, off, n);
            position += n;
            return n;
        }
    }
}
