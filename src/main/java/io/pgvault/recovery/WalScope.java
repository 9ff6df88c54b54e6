package io.pgvault.recovery;

import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.BackupView;
import io.pgvault.wal.ArchivedWal;
import io.pgvault.wal.TimelineHistory;
import io.pgvault.wal.WalFileKind;
import io.pgvault.wal.WalFileName;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The WAL a recovered copy's token may fetch: what its recovery can read, not the cluster's whole archive for a
 * week. That is the timelines from the backup's to the recovery's target timeline (following the target's
 * .history file) and their .history files, from the backup's first segment on, and, for a recovery that stops
 * at a known place (an LSN, consistency), up to the segment after the last one planned (a record may end in
 * it). A recovery to the end, to a time, to a transaction or to a restore point has no known last segment.
 * Positions are compared as the 16 hex digits after a segment name's timeline, which order as the WAL does
 * whatever the segment size.
 */
record WalScope(List<Long> timelines, String from, String to, boolean laterTimelines) {

    WalScope {
        timelines = List.copyOf(timelines);
    }

    WalScope(List<Long> timelines, String from, String to) {
        this(timelines, from, to, false);
    }

    /**
     * The same, and every timeline after its newest too: a standing standby follows recovery_target_timeline =
     * 'latest' for as long as it runs, across timeline switches that happen after its token was issued.
     */
    WalScope following() {
        return new WalScope(timelines, from, null, true);
    }

    /** The scope of a recovery from {@code backup} as {@code plan} says, along the archive's timelines. */
    static WalScope of(ArchivedWal archived, BackupView backup, RecoveryPlan plan) {
        long start = backup.timeline() == null ? 1 : backup.timeline();
        TimelineHistory path = archived.history(WalPlanner.targetTimeline(archived, start, plan.timeline()));
        List<Long> timelines = new ArrayList<>(path.spans().stream().map(TimelineHistory.Span::timeline)
                .filter(t -> t >= start).distinct().toList());
        if (plan.walTo() != null && !timelines.contains(WalFileName.parse(plan.walTo()).timeline())) {
            timelines.add(WalFileName.parse(plan.walTo()).timeline()); // the timeline the plan itself checked
        }
        String from = backup.firstWal() == null ? "0000000000000000" : backup.firstWal().substring(8, 24);
        String to = null;
        RecoveryTarget t = plan.target();
        // a time target has no known last segment either: replay stops at the first transaction end after the
        // time, which may lie in any later segment (an idle hour writes none), whatever the plan checked up front
        if (t.isImmediate() || t.lsn() != null) {
            String last = plan.walTo() != null ? plan.walTo() : backup.lastWal();
            if (last != null) {
                WalFileName name = WalFileName.parse(last);
                long size = archived.segmentSize() > 0 ? archived.segmentSize() : 16L * 1024 * 1024;
                to = WalFileName.segmentName(name.timeline(), name.position(size) + 1, size).substring(8);
            }
        }
        return new WalScope(timelines.isEmpty() ? List.of(start) : timelines, from, to);
    }

    /** Whether {@code file} (a WAL file name) lies within. */
    boolean allows(String file) {
        WalFileName name;
        try {
            name = WalFileName.parse(file);
        } catch (InvalidRequestException e) {
            return false;
        }
        boolean later = laterTimelines && name.timeline() > timelines.stream().mapToLong(Long::longValue).max()
                .orElse(Long.MAX_VALUE);
        if (!timelines.contains(name.timeline()) && !later) {
            return false;
        }
        if (name.kind() == WalFileKind.HISTORY) {
            return true;
        }
        String at = file.substring(8, 24);
        return at.compareTo(from) >= 0 && (to == null || at.compareTo(to) <= 0);
    }

    /** As stored with the token: {@code 1,2;from;to} (to empty when open; {@code 1,2+} with later timelines). */
    String format() {
        return timelines.stream().map(String::valueOf).collect(Collectors.joining(",")) + (laterTimelines ? "+" : "")
                + ";" + from + ";" + (to == null ? "" : to);
    }

    static WalScope parse(String stored) {
        String[] parts = stored.split(";", -1);
        boolean later = parts[0].endsWith("+");
        String listed = later ? parts[0].substring(0, parts[0].length() - 1) : parts[0];
        return new WalScope(Arrays.stream(listed.split(",")).map(Long::valueOf).toList(), parts[1],
                parts[2].isEmpty() ? null : parts[2], later);
    }
}
