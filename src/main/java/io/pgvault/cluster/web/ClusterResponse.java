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
@Schema(description = "A registered cluster with its detected versions, live reachability and last backup; never "
        + "its password")
record ClusterResponse(String name, String host, int port, String username, String maintenanceDatabase,
        String sslMode, WalArchiveMode walArchive,
        @Schema(description = "recovery point objective, an ISO-8601 duration such as PT24H") String rpo,
        @Schema(description = "whether a password is stored (it is never shown)") boolean passwordSet,
        @Schema(description = "the server's version, as detected at registration or update", example = "16.4")
        String serverVersion,
        @Schema(description = "the version of the client tools (pg_dump...) pgvault uses for it") String toolVersion,
        @Schema(description = "the directory of those tools") String toolDirectory,
        @Schema(description = "whether pgvault could connect just now")
        Boolean reachable, LastBackup lastBackup, Instant createdAt,
        Instant updatedAt, RetentionPolicy retention, List<SanityQuery> sanityQueries, MeasuredRto measuredRto,
        @Schema(description = "wal_segment_size in bytes, once known") Long walSegmentSize,
        @Schema(description = "the server's system identifier (an unsigned 64-bit number, as a string)")
        String systemIdentifier,
        @Schema(description = "where the days of its retention policy begin, a region id; null: UTC") String timeZone,
        @Schema(description = "the repository its backups and WAL go to; null: the default repository")
        String repository,
        @Schema(description = "a second repository its archived WAL is copied to; null: none") String walCopyTo,
        @Schema(description = "the host that holds its data directory; its local work runs on a pgvault instance "
                + "there; null: any instance") String dataHost) {

    /** The newest restore drill's restore time: how long getting this cluster's data back took. */
    @Schema(description = "The newest restore drill's restore time: how long getting this cluster's data back took")
    record MeasuredRto(
            @Schema(description = "seconds the drill's restore took") double seconds,
            @Schema(description = "the backup the drill restored")
            UUID backupId,
            Instant drilledAt,
            @Schema(description = "whether the drill passed")
            boolean passed) {
    }

    /** The newest successful backup. */
    @Schema(description = "The cluster's newest successful backup")
    record LastBackup(UUID id, @Schema(description = "DUMP, DUMP_ALL or BASE") String kind, Instant finishedAt,
            long sizeBytes) {
    }
}
