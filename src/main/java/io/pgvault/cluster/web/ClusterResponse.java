package io.pgvault.cluster.web;

import io.pgvault.cluster.RetentionPolicy;
import io.pgvault.cluster.SanityQuery;
import io.pgvault.cluster.WalArchiveMode;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A cluster as the API shows it. Never holds a password. {@code systemIdentifier} is a string because it
 * does not fit the integers that JavaScript clients read exactly.
 */
record ClusterResponse(String name, String host, int port, String username, String maintenanceDatabase,
        String sslMode, WalArchiveMode walArchive, String rpo, boolean passwordSet, String serverVersion,
        String toolVersion, String toolDirectory, Boolean reachable, LastBackup lastBackup, Instant createdAt,
        Instant updatedAt, RetentionPolicy retention, List<SanityQuery> sanityQueries, MeasuredRto measuredRto,
        Long walSegmentSize, String systemIdentifier, String timeZone,
        @Schema(description = "the repository its backups and WAL go to; null: the default repository")
        String repository,
        @Schema(description = "a second repository its archived WAL is copied to; null: none") String walCopyTo) {

    /** The newest restore drill's restore time: how long getting this cluster's data back took. */
    record MeasuredRto(double seconds, UUID backupId, Instant drilledAt, boolean passed) {
    }

    /** The newest successful backup. */
    record LastBackup(UUID id, String kind, Instant finishedAt, long sizeBytes) {
    }
}
