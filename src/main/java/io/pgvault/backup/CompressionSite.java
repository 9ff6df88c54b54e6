package io.pgvault.backup;

/** Where a BASE backup is compressed: by pg_basebackup (CLIENT) or by the server before sending (SERVER, 15+). */
public enum CompressionSite {
    CLIENT, SERVER
}
