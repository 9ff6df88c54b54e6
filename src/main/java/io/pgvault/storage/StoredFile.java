package io.pgvault.storage;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/** One stored file of a backup: its path relative to the backup, size and SHA-256 (hex). */
public record StoredFile(String path, long sizeBytes, String sha256) {

    /**
     * The checksum of a whole backup: the file's own for a single file, else the SHA-256 of the
     * sorted list of {@code sha256  path} lines (the format of sha256sum).
     */
    public static String combinedSha256(List<StoredFile> files) {
        if (files.size() == 1) {
            return files.get(0).sha256();
        }
        var digest = Sha256.newDigest();
        files.stream().sorted(Comparator.comparing(StoredFile::path))
                .forEach(f -> digest.update((f.sha256() + "  " + f.path() + "\n").getBytes(StandardCharsets.UTF_8)));
        return HexFormat.of().formatHex(digest.digest());
    }

    public static long totalSize(List<StoredFile> files) {
        return files.stream().mapToLong(StoredFile::sizeBytes).sum();
    }
}
