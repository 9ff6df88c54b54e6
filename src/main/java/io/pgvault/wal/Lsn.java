package io.pgvault.wal;

import io.pgvault.api.InvalidRequestException;
import java.util.regex.Pattern;

/** A WAL location as PostgreSQL writes it ({@code 16/B374D848}), and the segment it falls in. */
public record Lsn(long value) implements Comparable<Lsn> {

    private static final Pattern TEXT = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");

    public static Lsn parse(String text) {
        if (text == null || !TEXT.matcher(text).matches()) {
            throw new InvalidRequestException("lsn", "an LSN looks like 0/16B3740 (two hex numbers of up to 8 digits)");
        }
        int slash = text.indexOf('/');
        return new Lsn((Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16));
    }

    /** The position of the segment holding this location. */
    public long segment(long segmentSize) {
        return Long.divideUnsigned(value, segmentSize);
    }

    /** The last segment needed to reach this location: the one before when the location starts a segment. */
    public long segmentEndingHere(long segmentSize) {
        return Long.remainderUnsigned(value, segmentSize) == 0 && value != 0 ? segment(segmentSize) - 1 : segment(segmentSize);
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return String.format("%X/%X", value >>> 32, value & 0xFFFFFFFFL);
    }
}
