package io.pgvault.testing;

import io.pgvault.wal.WalFileName;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * WAL files that pgvault accepts for one cluster, made without writing WAL: segments start with a long page
 * header (PostgreSQL's XLogLongPageHeaderData, little-endian) that fits their name, the cluster's
 * segment size and system identifier, and go on with reproducible random bytes; history and backup history
 * files are the text PostgreSQL writes. Tests change single header fields with {@link #put}.
 */
public final class WalSegments {

    /** A field of the long page header: its offset and width in bytes. */
    public enum Field {
        MAGIC(0, 2), INFO(2, 2), TLI(4, 4), PAGEADDR(8, 8), SYSID(24, 8), SEG_SIZE(32, 4), XLOG_BLCKSZ(36, 4);

        final int offset;
        final int width;

        Field(int offset, int width) {
            this.offset = offset;
            this.width = width;
        }
    }

    /** PostgreSQL 15's XLOG_PAGE_MAGIC. */
    public static final int MAGIC = 0xD110;
    private static final int XLP_LONG_HEADER = 0x0002;

    private final long segmentSize;
    private final long systemIdentifier;

    public WalSegments(long segmentSize, long systemIdentifier) {
        this.segmentSize = segmentSize;
        this.systemIdentifier = systemIdentifier;
    }

    /** For the cluster that {@code pg} runs: its wal_segment_size and system identifier. */
    public static WalSegments of(PgCluster pg) {
        long size = ((Number) pg.queryValue("postgres",
                "SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'")).longValue();
        long sysid = ((Number) pg.queryValue("postgres", "SELECT system_identifier FROM pg_control_system()"))
                .longValue();
        return new WalSegments(size, sysid);
    }

    public long segmentSize() {
        return segmentSize;
    }

    public long systemIdentifier() {
        return systemIdentifier;
    }

    /** The name of the segment at {@code position} (segments since the start of WAL) of {@code timeline}. */
    public String name(long timeline, long position) {
        return WalFileName.segmentName(timeline, position, segmentSize);
    }

    /** A valid segment (or .partial segment) for {@code name}, its bytes after the header seeded by the name. */
    public byte[] segment(String name) {
        return segment(name, name.hashCode());
    }

    /** A valid segment for {@code name}; another {@code seed} gives other content under the same header. */
    public byte[] segment(String name, long seed) {
        WalFileName file = WalFileName.parse(name);
        byte[] bytes = new byte[(int) segmentSize];
        new Random(seed).nextBytes(bytes);
        put(bytes, Field.MAGIC, MAGIC);
        put(bytes, Field.INFO, XLP_LONG_HEADER);
        put(bytes, Field.TLI, file.timeline());
        put(bytes, Field.PAGEADDR, file.position(segmentSize) * segmentSize);
        put(bytes, 16, 4, 0); // xlp_rem_len, and the padding before xlp_sysid
        put(bytes, 20, 4, 0);
        put(bytes, Field.SYSID, systemIdentifier);
        put(bytes, Field.SEG_SIZE, segmentSize);
        put(bytes, Field.XLOG_BLCKSZ, 8192);
        return bytes;
    }

    /** Writes {@code value} into a header field of {@code segment}, little-endian. */
    public static void put(byte[] segment, Field field, long value) {
        put(segment, field.offset, field.width, value);
    }

    private static void put(byte[] bytes, int offset, int width, long value) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        switch (width) {
            case 2 -> b.putShort(offset, (short) value);
            case 4 -> b.putInt(offset, (int) value);
            default -> b.putLong(offset, value);
        }
    }

    /** A timeline history file for {@code timeline} as PostgreSQL writes it: each earlier timeline forked at 0/N000000. */
    public static byte[] history(long timeline) {
        StringBuilder text = new StringBuilder();
        for (long parent = 1; parent < timeline; parent++) {
            text.append(parent).append('\t').append(String.format("0/%X", parent * 0x1000000L)).append('\t')
                    .append("no recovery target specified\n");
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** A backup history file for a backup that started at {@code offset} in segment {@code segment}. */
    public byte[] backupLabel(String segment, long offset) {
        WalFileName file = WalFileName.parse(segment);
        long start = file.position(segmentSize) * segmentSize + offset;
        String lsn = String.format("%X/%X", start >>> 32, start & 0xFFFFFFFFL);
        return ("START WAL LOCATION: " + lsn + " (file " + segment + ")\n"
                + "STOP WAL LOCATION: " + lsn + " (file " + segment + ")\n"
                + "CHECKPOINT LOCATION: " + lsn + "\nBACKUP METHOD: streamed\nBACKUP FROM: primary\n"
                + "START TIME: 2024-01-01 00:00:00 UTC\nLABEL: test\nSTART TIMELINE: " + file.timeline() + "\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** The name of the backup history file of a backup that started at {@code offset} in {@code segment}. */
    public static String backupLabelName(String segment, long offset) {
        return segment + String.format(".%08X.backup", offset);
    }
}
