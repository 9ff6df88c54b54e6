package io.pgvault.wal;

import java.time.Instant;
import java.util.Map;
import java.util.NavigableMap;

/**
 * A cluster's archive as recoveries see it: the segments of every timeline (with when each arrived and the
 * commit times pg_waldump read in it) and the archived timeline histories, so that a plan can follow a path
 * across timeline switches the way PostgreSQL's recovery does.
 */
public record ArchivedWal(long segmentSize, Map<Long, NavigableMap<Long, Segment>> segments,
        Map<Long, TimelineHistory> histories) {

    /** One archived segment: when it arrived, its first and last transaction end times, whether they were read. */
    public record Segment(String name, Instant archivedAt, Instant firstCommitAt, Instant lastCommitAt,
            boolean scanned, String damage) {
    }

    /** The history of a timeline: its archived .history file, or none for timeline 1 (or a missing file). */
    public TimelineHistory history(long timeline) {
        return histories.getOrDefault(timeline, TimelineHistory.root(timeline));
    }

    /**
     * The newest timeline reachable from {@code from}, found as PostgreSQL's recovery_target_timeline = 'latest'
     * finds it: the highest timeline whose history is archived, counting up from {@code from} without a gap.
     */
    public long latestTimeline(long from) {
        long tli = from;
        while (histories.containsKey(tli + 1)) {
            tli++;
        }
        return tli;
    }

    /** Whether the segment of that timeline at that position is archived. */
    public boolean has(long timeline, long position) {
        NavigableMap<Long, Segment> on = segments.get(timeline);
        return on != null && on.containsKey(position);
    }

    /** The segment a recovery along {@code path} reads at {@code position}, or null when it is not archived. */
    public Segment at(TimelineHistory path, long position) {
        NavigableMap<Long, Segment> on = segments.get(path.timelineOf(position, segmentSize));
        return on == null ? null : on.get(position);
    }

    /** The segment name a recovery along {@code path} asks for at {@code position}. */
    public String name(TimelineHistory path, long position) {
        return WalFileName.segmentName(path.timelineOf(position, segmentSize), position, segmentSize);
    }

    /** The first position from {@code from} to {@code to} (inclusive) whose segment is not archived, or -1. */
    public long firstMissing(TimelineHistory path, long from, long to) {
        for (long p = from; p <= to; p++) {
            if (at(path, p) == null) {
                return p;
            }
        }
        return -1;
    }

    /** The first position from {@code from} to {@code to} whose segment does not decode, or -1. */
    public long firstDamaged(TimelineHistory path, long from, long to) {
        for (long p = from; p <= to; p++) {
            Segment s = at(path, p);
            if (s != null && s.damage() != null) {
                return p;
            }
        }
        return -1;
    }

    /** The segment at a position along the path, or null. */
    public Segment segment(TimelineHistory path, long position) {
        return at(path, position);
    }

    /**
     * The last position reachable from {@code from} along the path without a gap or a segment that does not
     * decode (replay stops before either), {@code from - 1} if none.
     */
    public long reach(TimelineHistory path, long from) {
        long p = from;
        while (at(path, p) != null && at(path, p).damage() == null) {
            p++;
        }
        return p - 1;
    }

    /** The newest archived position along the path, or -1. */
    public long last(TimelineHistory path) {
        long last = -1;
        for (TimelineHistory.Span span : path.spans()) {
            NavigableMap<Long, Segment> on = segments.get(span.timeline());
            if (on == null) {
                continue;
            }
            for (Long p : on.descendingKeySet()) {
                if (path.timelineOf(p, segmentSize) == span.timeline()) {
                    last = Math.max(last, p);
                    break;
                }
            }
        }
        return last;
    }

    /** The WAL location just past a segment's end. */
    public Lsn endOf(long position) {
        return new Lsn((position + 1) * segmentSize);
    }

    /** The segment position of a name. */
    public long position(String segmentName) {
        return WalFileName.parse(segmentName).position(segmentSize);
    }
}
