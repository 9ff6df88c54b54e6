package io.pgvault.cluster;

/** A registered cluster as other features see it: where it is and which tools fit it. No password. */
public record ClusterTarget(String name, String host, int port, String username, String maintenanceDatabase,
        String serverVersion, PostgresTools.ToolSet tools) {

    /** True when both name the same server (same host and port), whatever their registered names. */
    public boolean sameServerAs(ClusterTarget other) {
        return name.equals(other.name) || (host.equalsIgnoreCase(other.host) && port == other.port);
    }
}
