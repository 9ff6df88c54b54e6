package io.pgvault.wal;

import io.pgvault.api.ContentTooLargeException;
import io.pgvault.api.UnprocessableContentException;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * A segment's body as storage reads it: the first {@link WalPageHeader#SIZE} bytes are held back until the
 * header is checked, the rest streams through, counted. A body that ends short of the segment size or runs
 * past it fails the read that finds out, so storage never puts it in place (it stores only what it read
 * to the end). Never more than the header is held in memory.
 */
final class SegmentBody extends InputStream {

    private final InputStream in;
    private final String tooLarge;
    private final String name;
    private final long size;
    private final Consumer<byte[]> headerCheck;
    private final byte[] head = new byte[WalPageHeader.SIZE];
    private int headLength = -1;
    private int headServed;
    private long count;

    SegmentBody(InputStream in, String tooLarge, String name, long size, Consumer<byte[]> headerCheck) {
        this.in = in;
        this.tooLarge = tooLarge;
        this.name = name;
        this.size = size;
        this.headerCheck = headerCheck;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (headLength < 0) {
            readHead();
        }
        if (headServed < headLength) {
            int n = Math.min(len, headLength - headServed);
            System.arraycopy(head, headServed, b, off, n);
            headServed += n;
            return n;
        }
        int n = in.read(b, off, len);
        if (n < 0) {
            if (count != size) {
                throw wrongSize();
            }
            return -1;
        }
        count += n;
        if (count > size) {
            throw new ContentTooLargeException(tooLarge);
        }
        return n;
    }

    private void readHead() throws IOException {
        int filled = 0;
        int n;
        while (filled < head.length && (n = in.read(head, filled, head.length - filled)) >= 0) {
            filled += n;
        }
        count = filled;
        if (filled < head.length) {
            throw wrongSize();
        }
        try {
            headerCheck.accept(head);
        } catch (RuntimeException refused) {
            throw drained(in, size - count, refused);
        }
        headLength = filled;
    }

    private UnprocessableContentException wrongSize() {
        return new UnprocessableContentException("body", "the body of " + name + " is " + count
                + " bytes; a segment (and a .partial segment, which PostgreSQL and pg_receivewal write at full "
                + "size) is exactly the cluster's wal_segment_size, " + size + " bytes");
    }

    /**
     * Reads and discards what is left of a refused body, up to {@code limit} bytes, so that the client gets
     * the refusal instead of a reset connection (the server stops reading a body it answered early), then
     * hands back {@code refusal} to be thrown. Bodies longer than the limit are not read on.
     */
    static RuntimeException drained(InputStream in, long limit, RuntimeException refusal) {
        byte[] sink = new byte[64 * 1024];
        long left = limit;
        try {
            int n;
            while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) >= 0) {
                left -= n;
            }
        } catch (IOException e) {
            // the client went away: the refusal stands either way
        }
        return refusal;
    }
}
