package io.pgvault.blocks;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;

/**
 * The {@code backup_manifest} pg_basebackup writes (format version 1), written by a backup that reads the data
 * directory itself, so that everything that checks a BASE backup with pg_verifybackup (LIST verification) checks
 * this one the same way: every file with its size and CRC-32C (a file reused from the reference unread has its
 * size only, which pg_verifybackup accepts), and the WAL range the backup needs. pg_verifybackup checks the
 * manifest's own SHA-256, over everything up to the line that holds it, so the layout below is exact.
 */
public final class VerifyBackupManifest {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'GMT'")
            .withZone(ZoneOffset.UTC);

    private VerifyBackupManifest() {
    }

    /** One file: its path in the backup, size, mtime (epoch seconds) and CRC-32C as hex, or null. */
    public record File(String path, long size, long mtime, String crc32c) {
    }

    /** The manifest's bytes; {@code startLsn}/{@code endLsn} as PostgreSQL prints them (X/X). */
    public static byte[] write(List<File> files, int timeline, String startLsn, String endLsn) {
        StringBuilder m = new StringBuilder("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [");
        boolean first = true;
        for (File f : files) {
            m.append(first ? "\n" : ",\n");
            first = false;
            m.append("{ \"Path\": ").append(quote(f.path())).append(", \"Size\": ").append(f.size())
                    .append(", \"Last-Modified\": \"").append(TIME.format(Instant.ofEpochSecond(f.mtime()))).append('"');
            if (f.crc32c() != null) {
                m.append(", \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"").append(f.crc32c()).append('"');
            }
            m.append(" }");
        }
        m.append(" ],\n\"WAL-Ranges\": [\n{ \"Timeline\": ").append(timeline).append(", \"Start-LSN\": \"")
                .append(startLsn).append("\", \"End-LSN\": \"").append(endLsn).append("\" }\n],\n");
        byte[] body = m.toString().getBytes(StandardCharsets.UTF_8);
        String sum;
        try {
            sum = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return (m + "\"Manifest-Checksum\": \"" + sum + "\"}\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                q.append('\\').append(c);
            } else if (c < 0x20) {
                q.append(String.format("\\u%04x", (int) c));
            } else {
                q.append(c);
            }
        }
        return q.append('"').toString();
    }
}
