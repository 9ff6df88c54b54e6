package io.pgvault.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * pgvault's own proof that a base backup's WAL is whole, for when no pg_waldump of the backup's major is
 * installed: pg_verifybackup parses WAL with the pg_waldump of its own version, and every major changes the
 * WAL page magic, so PostgreSQL 15's tools cannot read PostgreSQL 13's WAL. This walk needs nothing that
 * has changed since 9.5: page headers ({@link WalPages}) and the record header (total length, previous
 * record, CRC-32C over the record). For each range (a manifest's WAL-Ranges) it reads record after record
 * from the range's start to its end, across pages and segments, and demands that each one points back to
 * the record before it and passes its CRC. It does not decode what records mean: replay does that.
 */
public final class WalContinuity {

    private static final int RECORD_HEADER_SIZE = 24;
    private static final int CRC_OFFSET = 20;
    private static final int RM_XLOG_ID = 0;
    private static final int XLOG_SWITCH = 0x40;

    /** Every record from {@code start} up to {@code end} on one timeline. */
    public record Range(long timeline, Lsn start, Lsn end) {
    }

    /** What the walk read: the segments (by name) and the number of records. */
    public record Walked(String firstSegment, String lastSegment, int segments, long records) {
    }

    private WalContinuity() {
    }

    /**
     * Walks the ranges through the segments in {@code directory}; the ranges must follow each other without
     * a gap, the way a manifest lists them across timeline switches.
     */
    public static Walked check(Path directory, List<Range> ranges, long segmentSize)
            throws IOException, BrokenWalException {
        if (ranges.isEmpty()) {
            throw new BrokenWalException("no WAL range to check");
        }
        long records = 0;
        try (WalPages pages = new WalPages(directory, segmentSize)) {
            Range previous = null;
            for (Range range : ranges) {
                if (previous != null && !previous.end().equals(range.start())) {
                    throw new BrokenWalException("the WAL ranges leave a gap: timeline " + previous.timeline()
                            + " ends at " + previous.end() + ", timeline " + range.timeline() + " starts at "
                            + range.start());
                }
                if (range.start().compareTo(range.end()) > 0) {
                    throw new BrokenWalException("the WAL range of timeline " + range.timeline() + " ends at "
                            + range.end() + ", before its start " + range.start());
                }
                pages.timeline(range.timeline());
                records += walk(pages, range.start().value(), range.end().value(), segmentSize);
                previous = range;
            }
            List<String> read = pages.opened();
            if (read.isEmpty()) {
                throw new BrokenWalException("the WAL ranges are empty: no segment to check");
            }
            return new Walked(read.get(0), read.get(read.size() - 1), read.size(), records);
        }
    }

    /** Reads the records from {@code start} until the next one would begin at or after {@code end}. */
    private static long walk(WalPages pages, long start, long end, long segmentSize)
            throws IOException, BrokenWalException {
        long position = start;
        long previous = -1;
        long records = 0;
        while (Long.compareUnsigned(position, end) < 0) {
            int block = pages.blockSize(position);
            WalPages.Page page = pages.page(pageStart(position, block));
            int offset = (int) Long.remainderUnsigned(position, block);
            if (offset == 0) {
                // a record that would start on a page boundary starts after the page header
                position += page.headerSize();
                offset = page.headerSize();
                if (Long.compareUnsigned(position, end) >= 0) {
                    break;
                }
            }
            if (offset < page.headerSize()) {
                throw new BrokenWalException("the record pointer " + new Lsn(position) + " lies in a page header");
            }
            if (offset == page.headerSize() && page.continues()) {
                throw new BrokenWalException("a record should start at " + new Lsn(position) + ", but that page "
                        + "continues an earlier record");
            }
            long next = record(pages, page, position, previous, segmentSize);
            previous = position;
            position = next;
            records++;
        }
        return records;
    }

    /**
     * Checks the record at {@code position} (length, link back, CRC over the data and then the header up to
     * the CRC, as PostgreSQL computes it) and returns where the next record begins.
     */
    private static long record(WalPages pages, WalPages.Page page, long position, long previous, long segmentSize)
            throws IOException, BrokenWalException {
        int block = pages.blockSize(position);
        ByteBuffer bytes = page.bytes();
        int offset = (int) Long.remainderUnsigned(position, block);
        // records are 8-byte aligned after an 8-byte aligned page header: the length is always on this page
        long total = Integer.toUnsignedLong(bytes.getInt(offset));
        if (total < RECORD_HEADER_SIZE) {
            throw new BrokenWalException("the record at " + new Lsn(position) + " has a length of " + total
                    + " (in " + pages.segmentOf(position) + ")");
        }
        byte[] header = new byte[RECORD_HEADER_SIZE];
        CRC32C crc = new CRC32C();
        long done = 0;
        WalPages.Page current = page;
        int at = offset;
        while (true) {
            int n = (int) Math.min(block - at, total - done);
            for (int i = 0; i < n; i++) {
                byte b = current.bytes().get(at + i);
                if (done + i < RECORD_HEADER_SIZE) {
                    header[(int) (done + i)] = b;
                } else {
                    // the data's CRC first, the header's after: as PostgreSQL computes it
                    int rest = n - i;
                    crc.update(current.bytes().slice(at + i, rest));
                    break;
                }
            }
            done += n;
            if (done == total) {
                break;
            }
            WalPages.Page following = pages.page(current.start() + block);
            if (!following.continues() || following.remaining() != total - done) {
                throw new BrokenWalException("the record at " + new Lsn(position) + " (" + total + " bytes) goes on "
                        + "at " + new Lsn(following.start()) + ", whose page header does not continue it with the "
                        + (total - done) + " bytes left");
            }
            current = following;
            at = current.headerSize();
        }
        ByteBuffer head = ByteBuffer.wrap(header).order(bytes.order());
        crc.update(header, 0, CRC_OFFSET);
        long stored = Integer.toUnsignedLong(head.getInt(CRC_OFFSET));
        if (crc.getValue() != stored) {
            throw new BrokenWalException("the record at " + new Lsn(position) + " fails its CRC (in "
                    + pages.segmentOf(position) + ")");
        }
        if (previous >= 0 && head.getLong(8) != previous) {
            throw new BrokenWalException("the record at " + new Lsn(position) + " points back to "
                    + new Lsn(head.getLong(8)) + ", not to the record before it at " + new Lsn(previous));
        }
        long next = current == page ? position + align(total)
                : current.start() + current.headerSize() + align(current.remaining());
        if (Byte.toUnsignedInt(header[17]) == RM_XLOG_ID && (Byte.toUnsignedInt(header[16]) & 0xF0) == XLOG_SWITCH) {
            // after a WAL switch the rest of the segment is unused; the next record starts the next segment
            next = Long.divideUnsigned(next + segmentSize - 1, segmentSize) * segmentSize;
        }
        return next;
    }

    private static long pageStart(long position, int block) {
        return position - Long.remainderUnsigned(position, block);
    }

    private static long align(long length) {
        return (length + 7) & ~7L;
    }
}
