package io.pgvault.proof;

/**
 * What the cluster's RPO is measured against: BACKUP, the newest successful backup (the default), or PROVEN, the
 * newest point its WAL archive was proven by replay to reach (the archive is then part of the promise).
 */
public enum RpoBasis {
    BACKUP, PROVEN
}
