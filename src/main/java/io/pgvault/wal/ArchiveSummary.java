package io.pgvault.wal;

import java.time.Instant;
import java.util.List;

/** What the WAL archive of a cluster holds. */
public record ArchiveSummary(String cluster, long segmentSizeBytes, long files, long bytes, Instant lastArchivedAt,
        Long secondsSinceLastArchived, List<Timeline> timelines) {

    /** The segments of one timeline. */
    public record Timeline(long timeline, String firstSegment, String lastSegment, long segments, List<Gap> gaps,
            Instant lastArchivedAt) {
    }

    /** Segments missing between two archived ones, inclusive. */
    public record Gap(String firstMissing, String lastMissing, long missingSegments) {
    }
}
