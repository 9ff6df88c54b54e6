package io.pgvault.cluster;

/**
 * What a live server said about itself; {@code systemIdentifier} (pg_control_system()) is null where the
 * server would not tell it.
 */
public record ServerInfo(String version, int versionNum, long walSegmentSize, Long systemIdentifier) {

    public int major() {
        return versionNum / 10000;
    }
}
