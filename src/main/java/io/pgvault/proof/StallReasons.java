package io.pgvault.proof;

import io.pgvault.api.NotFoundException;
import io.pgvault.wal.ArchivedWal;
import io.pgvault.wal.TimelineHistory;
import io.pgvault.wal.WalArchiveService;
import java.io.InputStream;
import org.springframework.stereotype.Component;

/**
 * Why a standing standby's replay stands still behind the archive, and at which segment. A standby that lacks a
 * segment says nothing in its log (it asks again, as a standby does), so the archive is asked too: a segment the
 * catalog lists but storage cannot serve is named as gone. Otherwise the server's own words: a record it cannot
 * replay, a file pgvault answered with something other than 200 or 404, a timeline it cannot follow.
 */
@Component
class StallReasons {

    private final WalArchiveService wal;

    StallReasons(WalArchiveService wal) {
        this.wal = wal;
    }

    /** The segment (null when none can be named) and why. */
    record Finding(String segment, String why) {
    }

    /**
     * {@code lsn}: where replay stands (null when the standby did not answer, {@code unanswered} says why);
     * {@code needed}: the position of the segment it waits for along {@code path}; {@code end}: the archive's last.
     */
    Finding explain(String cluster, String log, String lsn, String unanswered, ArchivedWal archived,
            TimelineHistory path, long needed, String end) {
        long size = archived.segmentSize();
        String segment = needed < 0 ? null : archived.name(path, needed);
        if (lsn == null) {
            return new Finding(null, "the standby does not answer (" + unanswered + "): " + ReplayLog.tail(log, 4));
        }
        String damaged = ReplayLog.damagedAt(log, size, path.timelineOf(needed, size));
        String stands = "replay stands at " + lsn + " while the archive holds segments up to " + end;
        if (damaged != null) {
            return new Finding(damaged, stands + ": segment " + damaged + " could not be replayed"
                    + ReplayLog.reason(log));
        }
        if (segment != null && !served(cluster, segment)) {
            return new Finding(segment, stands + ": segment " + segment + " is listed in the archive, but its stored "
                    + "file is gone (pgvault answers 404 for it)");
        }
        String notServed = ReplayLog.lastNotServed(log);
        if (notServed != null) {
            return new Finding(notServed, stands + ": pgvault did not serve segment " + notServed + " to the standby"
                    + ReplayLog.reason(log));
        }
        String timeline = ReplayLog.timelineTrouble(log);
        return new Finding(segment, stands + "; the standby waits for " + segment + (timeline != null
                ? " (PostgreSQL: \"" + timeline + "\")" : " (its last log lines: " + ReplayLog.tail(log, 3) + ")"));
    }

    /** Whether pgvault can serve the segment from storage. */
    private boolean served(String cluster, String segment) {
        try (InputStream in = wal.fetch(cluster, segment)) {
            return in != null;
        } catch (NotFoundException e) {
            return false;
        } catch (Exception e) {
            return true; // a passing storage error is not the finding
        }
    }
}
