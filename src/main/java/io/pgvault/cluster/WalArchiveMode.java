package io.pgvault.cluster;

/** How a cluster's WAL reaches pgvault: not at all, pushed by archive_command, or streamed by pg_receivewal. */
public enum WalArchiveMode {
    NONE, PUSH, STREAM
}
