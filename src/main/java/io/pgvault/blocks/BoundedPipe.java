package io.pgvault.blocks;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A tool's stdout handed to a reader on another thread, through at most {@code chunks} copied chunks (the
 * process executor's pump writes 256 KiB at a time). Unlike {@link java.io.PipedInputStream}, the end is only
 * ever the writer's {@link #finish}, never a guess from a thread having ended, and a reader that gives up
 * ({@link #abandon}) makes the writer fail at once instead of blocking.
 */
public final class BoundedPipe {

    private static final byte[] END = new byte[0];

    private final BlockingQueue<byte[]> queue;
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
                put(Arrays.copyOfRange(b, off, off + len));
            }
        };
    }

    private void put(byte[] chunk) throws IOException {
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
                int n = Math.min(len, current.length - position);
                System.arraycopy(current, position, b, off, n);
                position += n;
                return n;
            }
        };
    }
}
