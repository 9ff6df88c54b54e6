package io.pgvault.backup;

import jakarta.persistence.Embeddable;

/**
 * One file of a backup as the catalog records it: size and SHA-256 of the file itself, and in an encrypted
 * repository also those of the stored (encrypted) bytes and the id of the key that encrypted them.
 */
@Embeddable
public record BackupFile(String path, long sizeBytes, String sha256, Long storedSizeBytes, String storedSha256,
        String keyId) {

    public BackupFile(String path, long sizeBytes, String sha256) {
        this(path, sizeBytes, sha256, null, null, null);
    }
}
