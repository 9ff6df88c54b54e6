package io.pgvault.wal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The archive summary's timelines: per timeline its first and last segment, the gaps between them, and the times
 * they span. A gap is named by segments (what restore_command would ask for) and placed in time too, because a
 * person reads a hole in the archive as "from 10:41 to 10:55 nothing can be recovered to". Times are the WAL's
 * own (the transaction ends pg_waldump read), not arrivals: archiving can stall and deliver old WAL late. Only a
 * segment not read yet counts with its arrival time, so that fresh WAL is not missing from the picture; one read
 * without a transaction end adds no time.
 */
final class ArchiveTimelines {

    private ArchiveTimelines() {
    }

    /** One timeline's summary from its segments, in name (so position) order. */
    static ArchiveSummary.Timeline of(long timeline, List<WalFile> segments, long segmentSize) {
        int n = segments.size();
        // the oldest time known at or after each segment, for the end of the gap before it
        Instant[] oldestFrom = new Instant[n + 1];
        for (int i = n - 1; i >= 0; i--) {
            oldestFrom[i] = earlier(oldestFrom[i + 1], firstTime(segments.get(i)));
        }
        List<ArchiveSummary.Gap> gaps = new ArrayList<>();
        Instant newestSoFar = null;
        Instant lastArchived = null;
        long previous = -1;
        for (int i = 0; i < n; i++) {
            WalFile segment = segments.get(i);
            long position = WalFileName.parse(segment.getName()).position(segmentSize);
            if (previous >= 0 && position > previous + 1) {
                gaps.add(new ArchiveSummary.Gap(WalFileName.segmentName(timeline, previous + 1, segmentSize),
                        WalFileName.segmentName(timeline, position - 1, segmentSize), position - previous - 1,
                        newestSoFar, oldestFrom[i]));
            }
            newestSoFar = later(newestSoFar, lastTime(segment));
            lastArchived = later(lastArchived, segment.getArchivedAt());
            previous = position;
        }
        return new ArchiveSummary.Timeline(timeline, segments.get(0).getName(), segments.get(n - 1).getName(), n,
                gaps, lastArchived, oldestFrom[0], newestSoFar);
    }

    private static boolean unread(WalFile f) {
        return f.getScannedAt() == null || f.getScanNote() != null;
    }

    private static Instant firstTime(WalFile f) {
        return f.getFirstCommitAt() != null ? f.getFirstCommitAt() : unread(f) ? f.getArchivedAt() : null;
    }

    private static Instant lastTime(WalFile f) {
        return f.getLastCommitAt() != null ? f.getLastCommitAt() : unread(f) ? f.getArchivedAt() : null;
    }

    private static Instant earlier(Instant a, Instant b) {
        return a == null ? b : b == null || a.isBefore(b) ? a : b;
    }

    private static Instant later(Instant a, Instant b) {
        return a == null ? b : b == null || a.isAfter(b) ? a : b;
    }
}
