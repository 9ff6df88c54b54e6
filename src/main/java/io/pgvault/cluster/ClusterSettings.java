package io.pgvault.cluster;

/** How to reach a cluster. A null password means "unchanged" on update; empty means "none". */
public record ClusterSettings(String host, int port, String username, String password, String maintenanceDatabase,
        String sslMode, WalArchiveMode walArchive, String rpo, RetentionPolicy retention,
        java.util.List<SanityQuery> sanityQueries) {

    @Override
    public String toString() {
        return "ClusterSettings[" + username + "@" + host + ":" + port + "]";
    }
}
