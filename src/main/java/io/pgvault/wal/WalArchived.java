package io.pgvault.wal;

/** A WAL file was archived (pushed or streamed) and recorded. */
record WalArchived(String cluster, String name, WalFileKind kind) {
}
