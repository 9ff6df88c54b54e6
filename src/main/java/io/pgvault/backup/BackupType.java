package io.pgvault.backup;

/**
 * How a BASE backup in the block store relates to earlier ones: FULL stands alone, DIFF refers to the newest FULL,
 * INCR to the newest backup of the cluster. Every block-store manifest lists all its blocks, so the reference only
 * decides what is read and what is recorded, never how the backup is restored.
 */
public enum BackupType {
    FULL, DIFF, INCR
}
