package io.pgvault.cluster;

/**
 * What a live server said about itself; {@code dataDirectory} is null when the role may not see it,
 * {@code systemIdentifier} (pg_control_system()) where the server would not tell it.
 */
public record ServerInfo(String version, int versionNum, long walSegmentSize, String dataDirectory,
        Long systemIdentifier) {

    public int major() {
        return versionNum / 10000;
    }
}
