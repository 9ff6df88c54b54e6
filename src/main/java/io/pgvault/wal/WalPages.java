package io.pgvault.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The pages of one timeline's WAL segments in a directory, each checked as it is read: the file is there and
 * a whole segment, the page header names the page's own address, a timeline no later than the file's (and
 * never going back), the one magic of the stream and known flags only; a segment's first page has the long
 * header with the segment and block size and the system identifier of the others. These header layouts have
 * not changed since PostgreSQL 9.5; the magic changes with every major, so it is learnt, not known. The byte
 * order is the server's, learnt from the first page's address.
 */
final class WalPages implements AutoCloseable {

    static final int FIRST_IS_CONTRECORD = 0x0001;
    private static final int LONG_HEADER = 0x0002;
    private static final int ALL_FLAGS = 0x000F;
    private static final int SHORT_HEADER_SIZE = 24;
    private static final int LONG_HEADER_SIZE = 40;

    /** One page: its address, flags, continuation length and header size, and its bytes. */
    record Page(long start, int info, long remaining, int headerSize, ByteBuffer bytes) {

        boolean continues() {
            return (info & FIRST_IS_CONTRECORD) != 0;
        }
    }

    private final Path directory;
    private final long segmentSize;
    private long timeline;
    private ByteOrder order;
    private int magic = -1;
    private int blockSize;
    private long systemId;
    private long lastTimeline;
    private long openSegment = -1;
    private FileChannel channel;
    private final Set<String> opened = new LinkedHashSet<>();

    WalPages(Path directory, long segmentSize) {
        this.directory = directory;
        this.segmentSize = segmentSize;
    }

    /** The timeline whose files are read from now on (a manifest range's). */
    void timeline(long value) {
        if (value != timeline) {
            closeSegment();
            timeline = value;
        }
    }

    /**
     * XLOG_BLCKSZ (8192 unless PostgreSQL was built otherwise), as the long header of the segment holding
     * {@code position} says: that segment is opened, and checked, first.
     */
    int blockSize(long position) throws IOException, BrokenWalException {
        long segment = Long.divideUnsigned(position, segmentSize);
        if (segment != openSegment) {
            open(segment);
        }
        return blockSize;
    }

    /** The names of the segments read so far, in WAL order. */
    List<String> opened() {
        return new ArrayList<>(opened);
    }

    /** The name of the segment holding {@code position} on the current timeline. */
    String segmentOf(long position) {
        return name(Long.divideUnsigned(position, segmentSize));
    }

    /** The checked page starting at {@code start} (a multiple of the block size). */
    Page page(long start) throws IOException, BrokenWalException {
        long segment = Long.divideUnsigned(start, segmentSize);
        if (segment != openSegment) {
            open(segment);
        }
        long offset = Long.remainderUnsigned(start, segmentSize);
        ByteBuffer bytes = read(offset, blockSize);
        return checked(bytes, start, offset == 0);
    }

    private void open(long segment) throws IOException, BrokenWalException {
        closeSegment();
        String name = name(segment);
        Path file = directory.resolve(name);
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new BrokenWalException("segment " + name + " is missing");
        }
        openSegment = segment;
        if (channel.size() != segmentSize) {
            throw new BrokenWalException(name + " has " + channel.size() + " bytes; a segment has " + segmentSize);
        }
        ByteBuffer first = read(0, LONG_HEADER_SIZE);
        long start = segment * segmentSize;
        if (order == null) {
            order = first.order(ByteOrder.LITTLE_ENDIAN).getLong(8) == start ? ByteOrder.LITTLE_ENDIAN
                    : ByteOrder.BIG_ENDIAN;
        }
        first.order(order);
        if (first.getLong(8) != start) {
            throw new BrokenWalException(name + " does not start with its own address " + new Lsn(start));
        }
        int size = first.getInt(36);
        if (blockSize == 0) {
            if (Integer.bitCount(size) != 1 || size < 1024 || size > 65536 || segmentSize % size != 0) {
                throw new BrokenWalException(name + " names a WAL block size of " + size);
            }
            blockSize = size;
            systemId = first.getLong(24);
        }
        if (Integer.toUnsignedLong(first.getInt(32)) != segmentSize || size != blockSize
                || first.getLong(24) != systemId) {
            throw new BrokenWalException(name + " has a long page header for segment size "
                    + Integer.toUnsignedLong(first.getInt(32)) + ", block size " + size + ", system "
                    + Long.toUnsignedString(first.getLong(24)) + "; expected " + segmentSize + ", " + blockSize + ", "
                    + Long.toUnsignedString(systemId));
        }
        opened.add(name);
    }

    private Page checked(ByteBuffer bytes, long start, boolean segmentStart) throws BrokenWalException {
        bytes.order(order);
        int pageMagic = Short.toUnsignedInt(bytes.getShort(0));
        int info = Short.toUnsignedInt(bytes.getShort(2));
        long tli = Integer.toUnsignedLong(bytes.getInt(4));
        long address = bytes.getLong(8);
        String where = "the page at " + new Lsn(start) + " in " + name(openSegment);
        if (magic < 0) {
            magic = pageMagic;
        }
        if (pageMagic != magic) {
            throw new BrokenWalException(where + " has magic " + Integer.toHexString(pageMagic) + ", the stream "
                    + Integer.toHexString(magic));
        }
        if (address != start) {
            throw new BrokenWalException(where + " says it is at " + new Lsn(address));
        }
        if ((info & ~ALL_FLAGS) != 0 || ((info & LONG_HEADER) != 0) != segmentStart) {
            throw new BrokenWalException(where + " has flags " + Integer.toHexString(info));
        }
        if (tli < 1 || tli > timeline || tli < lastTimeline) {
            throw new BrokenWalException(where + " is of timeline " + tli + " (the file's is " + timeline
                    + (lastTimeline > 0 ? ", the page before was of " + lastTimeline : "") + ")");
        }
        lastTimeline = tli;
        return new Page(start, info, Integer.toUnsignedLong(bytes.getInt(16)),
                segmentStart ? LONG_HEADER_SIZE : SHORT_HEADER_SIZE, bytes);
    }

    private ByteBuffer read(long offset, int length) throws IOException, BrokenWalException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, offset + buffer.position()) < 0) {
                throw new BrokenWalException(name(openSegment) + " ends early");
            }
        }
        return buffer.flip();
    }

    private String name(long segment) {
        return WalFileName.segmentName(timeline, segment, segmentSize);
    }

    private void closeSegment() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // read-only: nothing was lost
            }
            channel = null;
        }
        openSegment = -1;
    }

    @Override
    public void close() {
        closeSegment();
    }
}
