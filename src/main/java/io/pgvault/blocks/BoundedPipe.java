package io.pgvault.blocks;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Bytes handed from a writer thread to a reader on another, through at most {@code chunks} chunks: a tool's stdout
 * (copied chunks: the process executor's pump writes 256 KiB at a time), or whole arrays handed over without a
 * copy ({@link #hand}), which the reader gives back when it has read them. Unlike {@link java.io.PipedInputStream},
 * the writer and the reader work at the same time (no one-buffer ping-pong), the end is only ever the writer's
 * {@link #finish}, never a guess from a thread having ended, and a reader that gives up ({@link #abandon}) makes
 * the writer fail at once instead of blocking.
 */
public final class BoundedPipe {

    private record Chunk(byte[] bytes, int offset, int length, Runnable release) {
    }

    private static final Chunk END = new Chunk(new byte[0], 0, 0, null);
    private static final Runnable NOTHING = () -> { };

    private final BlockingQueue<Chunk> queue;
    private volatile boolean abandoned;

    public BoundedPipe(int chunks) {
        this.queue = new ArrayBlockingQueue<>(chunks);
    }

    /** The writing side; {@link #finish} ends the stream (closing the output does not: the pump never does). */
    public OutputStream output() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return;
                }
                put(new Chunk(Arrays.copyOfRange(b, off, off + len), 0, len, NOTHING));
            }
        };
    }

    /**
     * Hands {@code bytes[offset..offset+length)} to the reader without copying them: the writer must not change
     * them until {@code release} runs, which the reader does once it has read them all (never, for a chunk still
     * queued when the pipe is abandoned).
     */
    public void hand(byte[] bytes, int offset, int length, Runnable release) throws IOException {
        if (length > 0) {
            put(new Chunk(bytes, offset, length, release));
        } else {
            release.run();
        }
    }

    private void put(Chunk chunk) throws IOException {
        try {
            while (!queue.offer(chunk, 200, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                if (abandoned) {
                    throw new IOException("the reader of the stream stopped");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while handing over the stream");
        }
        if (abandoned) {
            throw new IOException("the reader of the stream stopped");
        }
    }

    /** Ends the stream for the reader. */
    public void finish() throws IOException {
        put(END);
    }

    /** Either side gives up: pending and later writes fail, a waiting reader sees the end. */
    public void abandon() {
        abandoned = true;
        queue.clear();
        // a reader still waiting sees the end (and a cut-off tar) instead of waiting for ever
        queue.offer(END);
    }

    /** The reading side. */
    public InputStream input() {
        return new InputStream() {
            private Chunk current = END;
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
                if (!next()) {
                    return -1;
                }
                int n = Math.min(len, current.length() - position);
                System.arraycopy(current.bytes(), current.offset() + position, b, off, n);
                position += n;
                if (position == current.length()) {
                    current.release().run();
                }
                return n;
            }

            /** Whether there are bytes to read in {@code current} (taken from the queue when it is read). */
            private boolean next() throws IOException {
                while (position == current.length()) {
                    if (ended) {
                        return false;
                    }
                    try {
                        current = queue.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while reading the stream");
                    }
                    position = 0;
                    if (current == END) {
                        ended = true;
                    }
                }
                return true;
            }
        };
    }
}
