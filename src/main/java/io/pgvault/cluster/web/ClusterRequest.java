package io.pgvault.cluster.web;

import io.pgvault.cluster.RetentionPolicy;
import io.pgvault.cluster.SanityQuery;
import io.pgvault.cluster.WalArchiveMode;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/** Registers or updates a cluster. On update a missing password keeps the stored one; "" removes it. */
@Schema(description = "A cluster to register, or its new settings. host, port and username are required; on update "
        + "a missing password keeps the stored one and an empty one removes it.", example = """
        {"name": "orders-prod", "host": "db1.example.com", "port": 5432, "username": "pgvault",
         "password": "s3cret", "maintenanceDatabase": "postgres", "sslMode": "prefer", "walArchive": "PUSH",
         "rpo": "PT24H", "retention": {"keepLast": 7, "daily": 14}, "timeZone": "Europe/Berlin"}""")
record ClusterRequest(
        @Schema(example = "orders-prod", description = "slug: lower-case letters, digits and '-', starting with a letter")
        @Pattern(regexp = "^[a-z][a-z0-9-]{0,62}$", message = "must match ^[a-z][a-z0-9-]{0,62}$") String name,
        @Schema(example = "127.0.0.1", description = "host name or IP address of the server")
        @NotBlank @Size(max = 255)
        @Pattern(regexp = "^[A-Za-z0-9._:%\\[\\]-]+$", message = "must be a host name or IP address") String host,
        @Schema(example = "5432", description = "TCP port, 1 to 65535") @NotNull @Min(1) @Max(65535) Integer port,
        @Schema(example = "postgres", description = "the role pgvault connects as") @NotBlank @Size(max = 63)
        @Pattern(regexp = "^[^\\x00-\\x1f]+$", message = "must not contain control characters") String username,
        @Schema(description = "write-only: stored encrypted, never returned (see passwordSet); omit to use the "
                + "OS user's .pgpass", accessMode = Schema.AccessMode.WRITE_ONLY) @Size(max = 1000)
        String password,
        @Schema(example = "postgres", description = "the database pgvault connects to for checks and DUMP_ALL; "
                + "default postgres") @Size(max = 63)
        @Pattern(regexp = "^[^\\x00-\\x1f]+$", message = "must not contain control characters") String maintenanceDatabase,
        @Schema(example = "prefer", description = "libpq sslmode: disable, allow, prefer (default), require, "
                + "verify-ca or verify-full")
        @Pattern(regexp = "^(disable|allow|prefer|require|verify-ca|verify-full)$",
                message = "must be one of disable, allow, prefer, require, verify-ca, verify-full") String sslMode,
        @Schema(example = "NONE", description = "how the cluster's WAL reaches pgvault: NONE (default), PUSH "
                + "(archive_command to the WAL endpoint, see archive-config) or STREAM (pgvault runs pg_receivewal)")
        WalArchiveMode walArchive,
        @Schema(example = "PT24H", description = "recovery point objective, an ISO-8601 duration: a newest "
                + "successful backup older than this is a breach (metric, health, RPO_BREACHED webhook)") String rpo,
        @Schema(description = "what retention keeps of the backups no schedule with its own policy made; "
                + "leave out to keep everything") RetentionPolicy retention,
        @Schema(description = "queries a restore drill runs on the restored copy, each {name, sql, expect}")
        List<SanityQuery> sanityQueries,
        @Schema(example = "Europe/Berlin", description = "where the days, weeks and months of the cluster's "
                + "retention policy begin, a region id; UTC when left out") @Size(max = 100) String timeZone,
        @Schema(example = "local", description = "the repository (pgvault.repositories.<name>, see GET "
                + "/api/v1/repositories) its new backups and WAL go to; the default repository when left out")
        @Size(max = 63) String repository,
        @Schema(example = "offsite", description = "a second repository the archived WAL is copied to as it comes "
                + "in (the push to the first decides the answer; the copy's lag is a metric and a health reason)")
        @Size(max = 63) String walCopyTo,
        @Schema(example = "db1.example.com", description = "the host that holds its data directory, as the pgvault "
                + "instance there names itself (pgvault.instance.host): recoveries, BASE restores and drills, and "
                + "extractions of this cluster run only on an instance of that host; left out: on any instance")
        @Size(max = 255) String dataHost) {

    /** The registration that gives {@code v}, without its password (PATCH's starting point). */
    static ClusterRequest of(io.pgvault.cluster.ClusterView v) {
        return new ClusterRequest(v.name(), v.host(), v.port(), v.username(), null, v.maintenanceDatabase(),
                v.sslMode(), v.walArchive(), v.rpo(), v.retention(), v.sanityQueries(), v.timeZone(), v.repository(),
                v.walCopyTo(), v.dataHost());
    }
}
