package io.pgvault.backup;

import jakarta.persistence.Embeddable;

/** One file of a backup as the catalog records it. */
@Embeddable
public record BackupFile(String path, long sizeBytes, String sha256) {
}
