package io.pgvault.cluster;

/** What a live server said about itself. */
public record ServerInfo(String version, int versionNum, long walSegmentSize) {

    public int major() {
        return versionNum / 10000;
    }
}
