package io.pgvault.wal;

import io.pgvault.api.UnprocessableContentException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The long page header that starts every WAL segment (PostgreSQL's XLogLongPageHeaderData in
 * src/include/access/xlog_internal.h, little-endian on every platform pgvault serves), and the checks that
 * tie it to a segment's name and to its cluster.
 */
record WalPageHeader(int magic, int info, long timeline, long pageAddress, long systemIdentifier, long segmentSize,
        long blockSize) {

    /**
     * SizeOfXLogLongPHD: uint16 magic, uint16 info, uint32 tli, uint64 pageaddr, uint32 rem_len, padding to 24,
     * uint64 sysid, uint32 seg_size, uint32 xlog_blcksz.
     */
    static final int SIZE = 40;
    private static final int XLP_LONG_HEADER = 0x0002;
    /** Every flag any release defines (0x0008, XLP_FIRST_IS_OVERWRITE_CONTRECORD, in the 10-13 back branches). */
    private static final int XLP_ALL_FLAGS = 0x000F;
    /** XLOG_PAGE_MAGIC changes with each major release (0xD110 in 15, 0xD120 in 19); all lie in this range. */
    private static final int MAGIC_MIN = 0xD000;
    private static final int MAGIC_MAX = 0xD3FF;
    /** configure --with-wal-blocksize accepts 1 to 64 (KiB), powers of two. */
    private static final long BLOCK_MIN = 1024;
    private static final long BLOCK_MAX = 64 * 1024;

    static WalPageHeader read(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, SIZE).order(ByteOrder.LITTLE_ENDIAN);
        return new WalPageHeader(Short.toUnsignedInt(b.getShort(0)), Short.toUnsignedInt(b.getShort(2)),
                Integer.toUnsignedLong(b.getInt(4)), b.getLong(8), b.getLong(24), Integer.toUnsignedLong(b.getInt(32)),
                Integer.toUnsignedLong(b.getInt(36)));
    }

    /**
     * Refuses a header that does not belong at the start of segment {@code file} of a cluster with
     * {@code segmentSize}-byte segments and (where known) system identifier {@code systemIdentifier}.
     * The first segment of a new timeline is a copy of the old timeline's, so its page may carry an older
     * timeline: {@code xlp_tli} may be anything from 1 to the name's.
     */
    void check(WalFileName file, String cluster, long segmentSize, Long systemIdentifier) {
        String name = file.name();
        if (magic < MAGIC_MIN || magic > MAGIC_MAX) {
            throw refused("xlp_magic", name + " does not start with a WAL page header: xlp_magic is "
                    + hex4(magic) + ", PostgreSQL writes " + hex4(MAGIC_MIN) + " to " + hex4(MAGIC_MAX)
                    + " (push segments as PostgreSQL wrote them, not compressed or encrypted)");
        }
        if ((info & XLP_LONG_HEADER) == 0 || (info & ~XLP_ALL_FLAGS) != 0) {
            throw refused("xlp_info", "the first page of " + name + " has xlp_info " + hex4(info)
                    + ": a segment starts with a long header (XLP_LONG_HEADER " + hex4(XLP_LONG_HEADER)
                    + ") and no flags beyond " + hex4(XLP_ALL_FLAGS));
        }
        if (systemIdentifier != null && this.systemIdentifier != systemIdentifier) {
            throw new SystemIdentifierMismatch(name, cluster, this.systemIdentifier, systemIdentifier);
        }
        if (this.segmentSize != segmentSize) {
            throw refused("xlp_seg_size", "the page header of " + name + " says xlp_seg_size " + this.segmentSize
                    + " bytes, but cluster '" + cluster + "' has wal_segment_size " + segmentSize + " bytes");
        }
        if (blockSize < BLOCK_MIN || blockSize > BLOCK_MAX || Long.bitCount(blockSize) != 1) {
            throw refused("xlp_xlog_blcksz", "the page header of " + name + " says xlp_xlog_blcksz " + blockSize
                    + ": a WAL block size is a power of two from " + BLOCK_MIN + " to " + BLOCK_MAX + " bytes");
        }
        long start = file.position(segmentSize) * segmentSize;
        if (pageAddress != start) {
            throw refused("xlp_pageaddr", "the page header of " + name + " says xlp_pageaddr "
                    + new Lsn(pageAddress) + ", but the segment named " + name + " starts at " + new Lsn(start));
        }
        if (timeline < 1 || timeline > file.timeline()) {
            throw refused("xlp_tli", "the page header of " + name + " says xlp_tli " + timeline
                    + ", but it must be from 1 to the timeline in the file's name, " + file.timeline());
        }
    }

    private static UnprocessableContentException refused(String field, String message) {
        return new UnprocessableContentException(field, message);
    }

    private static String hex4(int value) {
        return String.format("0x%04X", value);
    }

    /** The segment's page header names another PostgreSQL system than the cluster it is pushed to. */
    static final class SystemIdentifierMismatch extends io.pgvault.api.ConflictException {
        SystemIdentifierMismatch(String name, String cluster, long pushed, long registered) {
            super(name + " belongs to another PostgreSQL system: its page header says xlp_sysid "
                    + Long.toUnsignedString(pushed) + ", but cluster '" + cluster + "' is system "
                    + Long.toUnsignedString(registered) + " (pg_control_system()); nothing was stored. If the "
                    + "cluster's server was replaced, update the cluster (PUT) so that pgvault reads its id again");
        }
    }
}
