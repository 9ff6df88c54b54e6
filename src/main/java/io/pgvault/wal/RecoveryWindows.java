package io.pgvault.wal;

import java.time.Instant;
import java.util.List;

/**
 * From the end of the oldest base backup whose WAL chain is unbroken to the newest point reachable without a
 * gap, along the newest timeline (following its history across switches, as recovery_target_timeline =
 * 'latest' does): each backup reaches as far as contiguous archived segments go past its own WAL, and an
 * older backup counts only if its reach meets the next one. Backups on a branch the newest timeline left
 * behind do not count (when none reaches it, the newest timeline one does reach). The end time is the
 * WAL's own: the last commit pg_waldump read there.
 */
final class RecoveryWindows {

    private RecoveryWindows() {
    }

    static ArchiveSummary.RecoveryWindow of(List<BaseBackupCatalog.BaseBackupEnd> backups, ArchivedWal archived) {
        long lowest = backups.stream().mapToLong(BaseBackupCatalog.BaseBackupEnd::timeline).min().getAsLong();
        // the newest timeline that a backup reaches (one whose history forked before every backup counts not)
        for (long tli = archived.latestTimeline(lowest); tli >= lowest; tli--) {
            ArchiveSummary.RecoveryWindow window = along(backups, archived, archived.history(tli));
            if (window != null) {
                return window;
            }
        }
        return null;
    }

    private static ArchiveSummary.RecoveryWindow along(List<BaseBackupCatalog.BaseBackupEnd> backups,
            ArchivedWal archived, TimelineHistory path) {
        BaseBackupCatalog.BaseBackupEnd start = null;
        BaseBackupCatalog.BaseBackupEnd newest = null;
        long endPosition = -1;
        for (int i = backups.size() - 1; i >= 0; i--) {
            BaseBackupCatalog.BaseBackupEnd b = backups.get(i);
            if (!path.reaches(b.timeline(), Lsn.parse(b.stopLsn()))) {
                continue;
            }
            long own = archived.position(b.lastWal());
            long reach = Math.max(own, archived.reach(path, own + 1));
            if (start == null) {
                start = b;
                newest = b;
                endPosition = reach;
                continue;
            }
            if (reach < archived.position(start.lastWal())) {
                break;
            }
            endPosition = Math.max(endPosition, reach);
            start = b;
        }
        if (start == null) {
            return null;
        }
        boolean beyondBackups = endPosition > archived.position(newest.lastWal());
        return new ArchiveSummary.RecoveryWindow(start.id(), start.finishedAt(), start.stopLsn(),
                beyondBackups ? walTime(archived, path, endPosition) : newest.finishedAt(),
                beyondBackups ? archived.endOf(endPosition).toString() : newest.stopLsn(),
                archived.name(path, endPosition), path.timelineOf(endPosition, archived.segmentSize()));
    }

    /** The newest transaction end in the WAL up to a position, or the segment's arrival when none was read. */
    private static Instant walTime(ArchivedWal archived, TimelineHistory path, long position) {
        for (long p = position; p >= 0 && p > position - 256; p--) {
            ArchivedWal.Segment s = archived.at(path, p);
            if (s == null || !s.scanned()) {
                break;
            }
            if (s.lastCommitAt() != null) {
                return s.lastCommitAt();
            }
        }
        ArchivedWal.Segment end = archived.at(path, position);
        return end == null ? null : end.archivedAt();
    }
}
