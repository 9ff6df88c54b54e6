package io.pgvault.cluster;

import java.time.Instant;

/** A registered cluster, read-only, without its password. */
public record ClusterView(String name, String host, int port, String username, String maintenanceDatabase,
        String sslMode, WalArchiveMode walArchive, String rpo, boolean passwordSet, String serverVersion,
        String toolVersion, String toolDirectory, Long walSegmentSize, Instant createdAt, Instant updatedAt,
        RetentionPolicy retention, java.util.List<SanityQuery> sanityQueries, String dataDirectory,
        Long systemIdentifier, String timeZone, String repository, String walCopyTo, String dataHost) {

    static ClusterView of(Cluster c) {
        return new ClusterView(c.getName(), c.getHost(), c.getPort(), c.getUsername(), c.getMaintenanceDatabase(),
                c.getSslMode(), c.getWalArchive(), c.getRpo(), c.hasPassword(), c.getServerVersion(),
                c.getToolVersion(), c.getToolDirectory(), c.getWalSegmentSize(), c.getCreatedAt(), c.getUpdatedAt(),
                c.getRetention(), c.getSanityQueries(), c.getDataDirectory(),
                c.getSystemIdentifier(), c.getTimeZone(), c.getRepository(), c.getWalCopyTo(), c.getDataHost());
    }
}
