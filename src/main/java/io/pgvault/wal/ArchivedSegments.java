package io.pgvault.wal;

import java.time.Instant;
import java.util.Map;
import java.util.NavigableMap;

/** The segments of one timeline in a cluster's archive, by position, with the time each arrived. */
public record ArchivedSegments(long timeline, long segmentSize, NavigableMap<Long, Instant> archivedAt) {

    public String name(long position) {
        return WalFileName.segmentName(timeline, position, segmentSize);
    }

    public long position(String segmentName) {
        return WalFileName.parse(segmentName).position(segmentSize);
    }

    /** The first segment from {@code from} to {@code to} (inclusive) that is not archived, or null. */
    public String firstMissing(long from, long to) {
        for (long p = from; p <= to; p++) {
            if (!archivedAt.containsKey(p)) {
                return name(p);
            }
        }
        return null;
    }

    /** The last position reachable from {@code from} without a gap ({@code from - 1} when {@code from} is missing). */
    public long reach(long from) {
        long p = from;
        while (archivedAt.containsKey(p)) {
            p++;
        }
        return p - 1;
    }

    /** The first segment at or after {@code from} that arrived at or after {@code time}, or null. */
    public Long firstArchivedAtOrAfter(Instant time, long from) {
        for (Map.Entry<Long, Instant> e : archivedAt.tailMap(from, true).entrySet()) {
            if (!e.getValue().isBefore(time)) {
                return e.getKey();
            }
        }
        return null;
    }

    /** The newest archived position, or -1. */
    public long last() {
        return archivedAt.isEmpty() ? -1 : archivedAt.lastKey();
    }

    /** The WAL location just past a segment's end. */
    public Lsn endOf(long position) {
        return new Lsn((position + 1) * segmentSize);
    }
}
