package io.pgvault.backup;

/** DUMP: pg_dump of one database; DUMP_ALL: pg_dumpall; BASE: pg_basebackup. */
public enum BackupKind {
    DUMP, DUMP_ALL, BASE
}
