package io.pgvault.recovery;

import io.pgvault.api.ConflictException;
import io.pgvault.backup.BackupView;
import io.pgvault.wal.ArchivedWal;
import io.pgvault.wal.Lsn;
import io.pgvault.wal.TimelineHistory;
import io.pgvault.wal.WalArchiveService;
import io.pgvault.wal.WalTimes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * Which archived WAL a recovery needs, decided before anything is written, the way PostgreSQL's recovery will
 * read it: from the segment after the backup's own WAL, along the path of the target timeline (its .history
 * file: a backup on timeline 1 reaches timeline 3 through timeline 2), up to the segment that holds the target.
 * For a time target that is the first segment with a transaction end at or after the target, by the WAL's own
 * commit times (pg_waldump), so that WAL archived late is judged by when it was written. Every segment of that
 * range must be archived; the plan promises them to the recovery, which fails rather than promote without one.
 */
@Component
class WalPlanner {

    /** A recovery's WAL: the target timeline, the segments checked (null ends for none) and the promised ranges. */
    record WalPlan(long timeline, String from, String to, List<String> promised) {
    }

    private final WalArchiveService wal;
    private final WalTimes times;

    WalPlanner(WalArchiveService wal, WalTimes times) {
        this.wal = wal;
        this.times = times;
    }

    WalPlan plan(String cluster, BackupView backup, RecoveryTarget target, String timeline) {
        ArchivedWal archived = wal.archived(cluster);
        long tli = targetTimeline(archived, backup, timeline);
        TimelineHistory path = archived.history(tli);
        if (!path.reaches(backup.timeline(), Lsn.parse(backup.stopLsn()))) {
            throw new ConflictException("backup " + backup.id() + " ended at " + backup.stopLsn() + " on timeline "
                    + backup.timeline() + ", after timeline " + tli + " branched off from it (at "
                    + path.endOf(backup.timeline()) + "); a recovery from it cannot follow timeline " + tli
                    + ". Choose a backup taken before the switch, or \"timeline\": \"current\"");
        }
        long from = archived.position(backup.lastWal()) + 1;
        if (target.isImmediate()) {
            return new WalPlan(tli, null, null, List.of());
        }
        long to;
        if (target.lsn() != null) {
            to = Lsn.parse(target.lsn()).segment(archived.segmentSize());
        } else if (target.time() != null) {
            archived = scanned(cluster, archived, path, from);
            to = segmentWithEndAfter(cluster, archived, path, from, target.time().toInstant());
        } else {
            to = Math.max(archived.last(path), from - 1);
        }
        long missing = archived.firstMissing(path, from, to);
        if (missing >= 0) {
            throw new ConflictException("the WAL archive of cluster '" + cluster + "' is missing segment "
                    + archived.name(path, missing) + ", which a recovery from backup " + backup.id() + " to " + target
                    + " needs (segments " + archived.name(path, from) + " to " + archived.name(path, to)
                    + (tli == backup.timeline() ? "" : ", following timeline " + tli + "'s history") + "); nothing "
                    + "was written");
        }
        long damaged = archived.firstDamaged(path, from, to);
        if (damaged >= 0) {
            throw new ConflictException("the WAL archive of cluster '" + cluster + "' holds segment "
                    + archived.name(path, damaged) + " whose records do not decode ("
                    + archived.segment(path, damaged).damage() + "), which a recovery from backup " + backup.id()
                    + " to " + target + " needs: replay would stop there. Choose a target before it, or a backup "
                    + "taken after it; nothing was written");
        }
        if (to < from) {
            return new WalPlan(tli, null, null, List.of());
        }
        return new WalPlan(tli, archived.name(path, from), archived.name(path, to), ranges(archived, path, from, to));
    }

    /** "latest" (the newest timeline archived after the backup's), "current" (the backup's) or a number. */
    private static long targetTimeline(ArchivedWal archived, BackupView backup, String timeline) {
        return targetTimeline(archived, backup.timeline(), timeline);
    }

    static long targetTimeline(ArchivedWal archived, long backupTimeline, String timeline) {
        if (timeline == null || timeline.equals("latest")) {
            return archived.latestTimeline(backupTimeline);
        }
        if (timeline.equals("current")) {
            return backupTimeline;
        }
        return Long.parseLong(timeline);
    }

    /** Reads the WAL times of segments the background worker has not reached yet (at most a few). */
    private ArchivedWal scanned(String cluster, ArchivedWal archived, TimelineHistory path, long from) {
        int scanned = 0;
        for (long p = from; p <= archived.last(path) && scanned < 64; p++) {
            ArchivedWal.Segment s = archived.at(path, p);
            if (s != null && !s.scanned()) {
                times.scanNow(cluster, s.name());
                scanned++;
            }
        }
        return scanned == 0 ? archived : wal.archived(cluster);
    }

    /**
     * The first segment from {@code from} that holds a transaction end at or after {@code time}: recovery stops
     * at the first commit after the target, so every segment up to that one is needed. A segment whose times
     * could not be read counts when it arrived after the time (it may hold such a commit).
     */
    private static long segmentWithEndAfter(String cluster, ArchivedWal archived, TimelineHistory path, long from,
            Instant time) {
        Instant newest = null;
        for (long p = from; p <= archived.last(path); p++) {
            ArchivedWal.Segment s = archived.at(path, p);
            if (s == null) {
                continue; // a gap: reported as missing, if it lies before the target's segment
            }
            if (s.scanned() ? s.lastCommitAt() != null && !s.lastCommitAt().isBefore(time)
                    : !s.archivedAt().isBefore(time)) {
                return p;
            }
            if (s.lastCommitAt() != null) {
                newest = s.lastCommitAt();
            }
        }
        throw new ConflictException("the archive of cluster '" + cluster + "' holds no transaction written at or after "
                + time + " yet" + (newest == null ? "" : " (its newest is from " + newest + ", by the WAL's own times)")
                + "; a recovery to that time cannot be proven to reach it. Switch WAL on the server (SELECT "
                + "pg_switch_wal()) once a transaction has ended after that time, and try again");
    }

    /** The range split where the timeline changes, as "first-last" segment names. */
    private static List<String> ranges(ArchivedWal archived, TimelineHistory path, long from, long to) {
        List<String> ranges = new ArrayList<>();
        long start = from;
        for (long p = from; p <= to; p++) {
            boolean end = p == to || path.timelineOf(p + 1, archived.segmentSize())
                    != path.timelineOf(p, archived.segmentSize());
            if (end) {
                ranges.add(archived.name(path, start) + "-" + archived.name(path, p));
                start = p + 1;
            }
        }
        return ranges;
    }
}
