package io.pgvault.cluster;

import io.pgvault.api.InvalidRequestException;

/**
 * A registered cluster as other features see it: where it is and which tools fit it. No password. A cluster
 * may have no client tools of its major here (PostgreSQL 16 with only 15's tools installed: it is registered when
 * pgvault can read its data directory itself); then {@link #tools()} refuses with what to install, and
 * {@link #hasTools()} says so beforehand.
 */
public record ClusterTarget(String name, String host, int port, String username, String maintenanceDatabase,
        String serverVersion, PostgresTools.ToolSet tools, String missingTools) {

    /** The client tools for this cluster; refuses, saying what to install, when none fit its major version. */
    @Override
    public PostgresTools.ToolSet tools() {
        if (tools == null) {
            throw new InvalidRequestException(missingTools);
        }
        return tools;
    }

    /** Whether client tools of this cluster's major version (or newer) are installed. */
    public boolean hasTools() {
        return tools != null;
    }

    /** True when both name the same server (same host and port), whatever their registered names. */
    public boolean sameServerAs(ClusterTarget other) {
        return name.equals(other.name) || (host.equalsIgnoreCase(other.host) && port == other.port);
    }
}
