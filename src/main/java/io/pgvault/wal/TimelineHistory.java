package io.pgvault.wal;

import java.util.ArrayList;
import java.util.List;

/**
 * A timeline's ancestry as its {@code .history} file records it: each earlier timeline on its path and the LSN
 * where the next one branched off. Recovering to timeline N from a backup on an earlier timeline replays that
 * timeline up to its switch point, then the next, and so on; for a segment that holds a switch point PostgreSQL
 * reads the newer timeline's file (which starts as a copy of the older one's).
 */
public record TimelineHistory(long timeline, List<Span> spans) {

    /** One timeline on the path: where it began (its parent's switch point) and where it ended (null: still going). */
    public record Span(long timeline, Lsn begin, Lsn end) {
    }

    /** A timeline without ancestors (timeline 1, or one whose history file is not archived). */
    public static TimelineHistory root(long timeline) {
        return new TimelineHistory(timeline, List.of(new Span(timeline, new Lsn(0), null)));
    }

    /** Parses {@code 0000000N.history}: lines {@code parentTLI<TAB>switchpoint<TAB>reason}, comments and blanks. */
    public static TimelineHistory parse(long timeline, String text) {
        List<Span> spans = new ArrayList<>();
        Lsn begin = new Lsn(0);
        for (String line : text.lines().toList()) {
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("#")) {
                continue;
            }
            String[] fields = s.split("\\s+");
            if (fields.length < 2) {
                throw new IllegalArgumentException("not a timeline history line: " + s);
            }
            long parent = Long.parseLong(fields[0]);
            Lsn end = Lsn.parse(fields[1]);
            spans.add(new Span(parent, begin, end));
            begin = end;
        }
        spans.add(new Span(timeline, begin, null));
        return new TimelineHistory(timeline, List.copyOf(spans));
    }

    /** The timeline whose file holds the segment at {@code position}: the newest on the path begun by then. */
    public long timelineOf(long position, long segmentSize) {
        long tli = spans.get(0).timeline();
        for (Span span : spans) {
            if (span.begin().segment(segmentSize) <= position) {
                tli = span.timeline();
            }
        }
        return tli;
    }

    /**
     * Whether a base backup that ended at {@code stop} on {@code tli} lies on this path: its timeline is one of
     * the path's, and it ended before that timeline branched off. Otherwise PostgreSQL refuses to follow the path
     * ("requested timeline is not a child of this server's history").
     */
    public boolean reaches(long tli, Lsn stop) {
        return spans.stream().anyMatch(s -> s.timeline() == tli && (s.end() == null || stop.compareTo(s.end()) <= 0));
    }

    /** The point where {@code tli} ends on this path (null when it is the last). */
    public Lsn endOf(long tli) {
        return spans.stream().filter(s -> s.timeline() == tli).map(Span::end).findFirst().orElse(null);
    }
}
