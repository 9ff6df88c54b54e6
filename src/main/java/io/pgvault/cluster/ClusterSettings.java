package io.pgvault.cluster;

/**
 * How to reach a cluster, and what it keeps. A null password means "unchanged" on update; empty means
 * "none". {@code timeZone} (a region id, UTC when null) is where the cluster policy's days, weeks and
 * months begin. {@code repository} names where its backups and WAL go (the default repository when
 * null); {@code walCopyTo} a second repository its archived WAL is copied to; {@code dataHost} the host that
 * holds its data directory (work that writes its local directories runs on a pgvault instance there).
 */
public record ClusterSettings(String host, int port, String username, String password, String maintenanceDatabase,
        String sslMode, WalArchiveMode walArchive, String rpo, RetentionPolicy retention,
        java.util.List<SanityQuery> sanityQueries, String timeZone, String repository, String walCopyTo,
        String dataHost) {

    @Override
    public String toString() {
        return "ClusterSettings[" + username + "@" + host + ":" + port + "]";
    }
}
