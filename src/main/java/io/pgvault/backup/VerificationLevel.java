package io.pgvault.backup;

/** How deep a verification goes: re-read checksums, list the archive (includes CHECKSUM), or restore it. */
public enum VerificationLevel {
    CHECKSUM, LIST, RESTORE
}
