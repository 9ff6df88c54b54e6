package io.pgvault.cluster;

/** What a live server said about itself; {@code dataDirectory} is null when the role may not see it. */
public record ServerInfo(String version, int versionNum, long walSegmentSize, String dataDirectory) {

    public int major() {
        return versionNum / 10000;
    }
}
