package io.pgvault.wal;

/** What an archived WAL file is. */
public enum WalFileKind {
    SEGMENT, PARTIAL, HISTORY, BACKUP
}
