package io.pgvault.backup;

/** The checkpoint a BASE backup starts with: FAST (immediate, the default on demand) or SPREAD. */
public enum CheckpointMode {
    FAST, SPREAD
}
