package io.pgvault.wal;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;

/** What the WAL archive of a cluster holds. */
@Schema(description = "What a cluster's WAL archive holds: per timeline the first and last segment and "
        + "the gaps, the time since the last file, and the span a recovery can reach")
public record ArchiveSummary(
        String cluster,
        @Schema(description = "the cluster WAL segment size in bytes")
        long segmentSizeBytes,
        @Schema(description = "archived files")
        long files,
        @Schema(description = "the archived files' total size in bytes")
        long bytes,
        @Schema(description = "when the newest file was archived")
        Instant lastArchivedAt,
        @Schema(description = "seconds since then (null: nothing archived)")
        Long secondsSinceLastArchived,
        RecoveryWindow recoveryWindow,
        List<Timeline> timelines,
        Streaming streaming,
        @Schema(description = "segments whose records do not decode (pg_waldump's error named): a recovery that "
                + "needs one stops there; empty when every segment read so far decodes")
        List<DamagedSegment> damagedSegments,
        @Schema(description = "what PostgreSQL itself replayed from the archive in its last proof by replay (the "
                + "proven part of the window; recoveryWindow is what the catalog covers); null: never proven")
        Proven proven) {

    /**
     * {@code walArchive: STREAM} only: whether pgvault's pg_receivewal runs, on which instance, its slot, how
     * often it had to be restarted and why it last stopped.
     */
    @Schema(name = "WalStreaming",
            description = "walArchive STREAM only: whether pgvault's pg_receivewal runs, on which instance, "
                    + "its replication slot, how often it was restarted and why it last stopped")
    public record Streaming(
            boolean running,
            @Schema(description = "the pgvault instance running pg_receivewal")
            String instance,
            @Schema(description = "its replication slot")
            String slot,
            @Schema(description = "how often it had to be restarted")
            int restarts,
            @Schema(description = "why it last stopped")
            String lastError) {
    }

    /**
     * Seconds from the proven time to the newest time the archive knows (the last transaction end read in its
     * timelines; 0 when none is known yet); null when nothing was proven.
     */
    public Long provenLagSeconds() {
        if (proven == null || proven.provenTime() == null) {
            return null;
        }
        Instant newest = timelines.stream().map(Timeline::lastTime).filter(java.util.Objects::nonNull)
                .max(Instant::compareTo).orElse(null);
        return newest == null ? 0 : Math.max(0, java.time.Duration.between(proven.provenTime(), newest).toSeconds());
    }

    public ArchiveSummary withStreaming(Streaming s) {
        return new ArchiveSummary(cluster, segmentSizeBytes, files, bytes, lastArchivedAt, secondsSinceLastArchived,
                recoveryWindow, timelines, s, damagedSegments, proven);
    }

    /** The archive's proof by replay, as far as it got. */
    @Schema(name = "WalProven", description = "The archive's proof by replay: the newest point PostgreSQL replayed "
            + "from it (GET /api/v1/clusters/{name}/proof has the details)")
    public record Proven(
            @Schema(description = "NEVER, PROVEN or FAILED") String state,
            String mode,
            String provenLsn,
            Instant provenTime,
            @Schema(description = "the segment the last failure names") String failedSegment,
            Instant lastRunAt,
            @Schema(description = "BACKUP or PROVEN: what the cluster's RPO is measured against") String rpoBasis) {
    }

    /** A segment whose records do not decode: replay would stop at it. */
    @Schema(name = "WalDamagedSegment",
            description = "A segment whose records do not decode: replay would stop at it")
    public record DamagedSegment(
            String name,
            long timeline,
            @Schema(description = "when it was archived")
            Instant archivedAt,
            @Schema(description = "pg_waldump's error, e.g. \"incorrect resource manager data checksum in record at "
                    + "0/5300060\"")
            String finding) {
    }

    /**
     * The span a recovery can reach: from the end of the oldest usable base backup to the end of the last
     * segment reachable from it without a gap (or the newest backup's end when no WAL follows it).
     */
    @Schema(description = "The span a recovery can reach: from the end of the oldest usable base backup to "
            + "the end of the last segment reachable from it without a gap")
    public record RecoveryWindow(
            @Schema(description = "the oldest usable BASE backup")
            java.util.UUID fromBackup,
            @Schema(description = "the earliest time a recovery can reach")
            Instant startTime,
            @Schema(description = "the earliest WAL location a recovery can reach")
            String startLsn,
            @Schema(description = "the latest time a recovery can reach")
            Instant endTime,
            @Schema(description = "the latest WAL location a recovery can reach")
            String endLsn,
            @Schema(description = "the last segment reachable without a gap")
            String lastSegment,
            long timeline) {
    }

    /** The segments of one timeline. */
    @Schema(name = "WalTimeline",
            description = "The archived segments of one timeline")
    public record Timeline(
            long timeline,
            String firstSegment,
            String lastSegment,
            @Schema(description = "archived segments on this timeline")
            long segments,
            @Schema(description = "segments missing between firstSegment and lastSegment")
            List<Gap> gaps,
            @Schema(description = "when its newest segment was archived")
            Instant lastArchivedAt,
            @Schema(description = "the oldest time known in its WAL: the first transaction end pg_waldump read in "
                    + "its segments (a segment not read yet counts with its arrival time)")
            Instant firstTime,
            @Schema(description = "the newest time known in its WAL: the last transaction end pg_waldump read in "
                    + "its segments (a segment not read yet counts with its arrival time)")
            Instant lastTime) {
    }

    /** Segments missing between two archived ones, inclusive. */
    @Schema(name = "WalGap",
            description = "Segments missing between two archived ones, inclusive")
    public record Gap(
            String firstMissing,
            String lastMissing,
            @Schema(description = "how many segments are missing")
            long missingSegments,
            @Schema(description = "the newest time known in the WAL before the gap (a transaction end read in an "
                    + "earlier segment, or the arrival of one not read yet): recoveries reach up to here")
            Instant fromTime,
            @Schema(description = "the oldest time known in the WAL after the gap: what lies between fromTime "
                    + "and toTime cannot be recovered to from the backups before the gap")
            Instant toTime) {
    }
}
