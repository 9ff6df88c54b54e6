package io.pgvault.backup;

/** How a BASE backup gets the WAL that makes it consistent: streamed alongside (STREAM) or fetched at the end. */
public enum WalMethod {
    STREAM, FETCH
}
