package io.pgvault.wal;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;

/** What the WAL archive of a cluster holds. */
@Schema(description = "What a cluster's WAL archive holds: per timeline the first and last segment and "
        + "the gaps, the time since the last file, and the span a recovery can reach")
public record ArchiveSummary(String cluster, long segmentSizeBytes, long files, long bytes, Instant lastArchivedAt,
        Long secondsSinceLastArchived, RecoveryWindow recoveryWindow, List<Timeline> timelines, Streaming streaming) {

    /**
     * {@code walArchive: STREAM} only: whether pgvault's pg_receivewal runs, on which instance, its slot, how
     * often it had to be restarted and why it last stopped.
     */
    @Schema(name = "WalStreaming", description = "walArchive STREAM only: whether pgvault's pg_receivewal runs, on which instance, "
            + "its replication slot, how often it was restarted and why it last stopped")
    public record Streaming(boolean running, String instance, String slot, int restarts, String lastError) {
    }

    public ArchiveSummary withStreaming(Streaming s) {
        return new ArchiveSummary(cluster, segmentSizeBytes, files, bytes, lastArchivedAt, secondsSinceLastArchived,
                recoveryWindow, timelines, s);
    }

    /**
     * The span a recovery can reach: from the end of the oldest usable base backup to the end of the last
     * segment reachable from it without a gap (or the newest backup's end when no WAL follows it).
     */
    @Schema(description = "The span a recovery can reach: from the end of the oldest usable base backup to "
            + "the end of the last segment reachable from it without a gap")
    public record RecoveryWindow(java.util.UUID fromBackup, Instant startTime, String startLsn, Instant endTime,
            String endLsn, String lastSegment, long timeline) {
    }

    /** The segments of one timeline. */
    @Schema(name = "WalTimeline", description = "The archived segments of one timeline")
    public record Timeline(long timeline, String firstSegment, String lastSegment, long segments, List<Gap> gaps,
            Instant lastArchivedAt) {
    }

    /** Segments missing between two archived ones, inclusive. */
    @Schema(name = "WalGap", description = "Segments missing between two archived ones, inclusive")
    public record Gap(String firstMissing, String lastMissing, long missingSegments) {
    }
}
