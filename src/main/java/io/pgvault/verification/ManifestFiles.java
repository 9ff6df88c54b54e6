package io.pgvault.verification;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * pg_verifybackup's file checks, done by pgvault where no pg_verifybackup of the backup's major version or newer is
 * installed (a PostgreSQL 16 cluster with only 15's tools here): the manifest's own SHA-256 ({@code
 * Manifest-Checksum}), every listed file present with its size and, where the manifest gives one, its CRC-32C, and
 * no file in the directory that the manifest does not list (but those pg_verifybackup ignores as well: pg_wal,
 * backup_manifest, postgresql.auto.conf, standby.signal and recovery.signal). Other checksum algorithms are not
 * checked (pgvault and pg_basebackup's defaults write CRC-32C). Returns what is wrong, empty when nothing is.
 */
final class ManifestFiles {

    private static final Set<String> IGNORED = Set.of("backup_manifest", "pg_wal", "postgresql.auto.conf",
            "standby.signal", "recovery.signal");
    private static final byte[] CHECKSUM_KEY = "\"Manifest-Checksum\"".getBytes(StandardCharsets.US_ASCII);

    private ManifestFiles() {
    }

    /** Checks {@code directory} against {@code manifest}; the number of files checked, or the problems found. */
    static Checked check(JsonMapper json, Path manifest, Path directory) throws IOException {
        List<String> problems = new java.util.ArrayList<>();
        // read once: the checksum covers the bytes, the one streaming pass gives the files and the checksum's value
        byte[] bytes = Files.readAllBytes(manifest);
        String expected = null;
        Set<String> listed = new HashSet<>();
        int crcs = 0;
        try (JsonParser parser = json.createParser(bytes)) {
            parser.nextToken();
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                if ("Manifest-Checksum".equals(name)) {
                    expected = parser.getString();
                    continue;
                }
                if (!"Files".equals(name)) {
                    parser.skipChildren();
                    continue;
                }
                while (parser.nextToken() == JsonToken.START_OBJECT) {
                    String path = null;
                    long size = -1;
                    String algorithm = null;
                    String checksum = null;
                    while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                        String field = parser.currentName();
                        parser.nextToken();
                        switch (field) {
                            case "Path" -> path = parser.getString();
                            case "Encoded-Path" -> path = new String(HexFormat.of().parseHex(parser.getString()),
                                    StandardCharsets.UTF_8);
                            case "Size" -> size = parser.getLongValue();
                            case "Checksum-Algorithm" -> algorithm = parser.getString();
                            case "Checksum" -> checksum = parser.getString();
                            default -> parser.skipChildren();
                        }
                    }
                    listed.add(path);
                    if (fileMatches(directory, path, size, algorithm, checksum, problems) && checksum != null) {
                        crcs++;
                    }
                }
            }
        } catch (JacksonException | IllegalArgumentException e) {
            problems.add("backup_manifest cannot be read: " + e.getMessage());
        }
        manifestChecksum(bytes, expected, problems);
        try (Stream<Path> all = Files.walk(directory)) {
            all.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).map(p -> directory.relativize(p)
                    .toString()).filter(p -> !IGNORED.contains(p.split("/")[0]) && !listed.contains(p)).sorted()
                    .forEach(p -> problems.add("\"" + p + "\" is present on disk but not in the manifest"));
        }
        return new Checked(listed.size(), crcs, problems);
    }

    /** What the check found: files listed, of which with a matching CRC-32C, and the problems. */
    record Checked(int files, int checksummed, List<String> problems) {
    }

    private static boolean fileMatches(Path directory, String path, long size, String algorithm, String checksum,
            List<String> problems) throws IOException {
        Path file = directory.resolve(path).normalize();
        if (path == null || !file.startsWith(directory) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            problems.add("\"" + path + "\" is present in the manifest but not on disk");
            return false;
        }
        long actual = Files.size(file);
        if (actual != size) {
            problems.add("\"" + path + "\" has size " + actual + " on disk but size " + size + " in the manifest");
            return false;
        }
        if (checksum == null || !"CRC32C".equals(algorithm)) {
            return true;
        }
        CRC32C crc = new CRC32C();
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                crc.update(buffer, 0, n);
            }
        }
        // pg_verifybackup's CRC-32C is written as 8 hex digits of the value in little-endian byte order
        long v = crc.getValue();
        String le = String.format("%02x%02x%02x%02x", v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff);
        if (!le.equalsIgnoreCase(checksum)) {
            problems.add("checksum mismatch for file \"" + path + "\"");
            return false;
        }
        return true;
    }

    /** The manifest's SHA-256 up to its Manifest-Checksum line against that line's value; a problem first if not. */
    private static void manifestChecksum(byte[] manifest, String expected, List<String> problems) {
        int at = lastIndexOf(manifest, CHECKSUM_KEY);
        if (at < 0 || expected == null) {
            problems.add(0, "backup_manifest has no Manifest-Checksum");
            return;
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(manifest, 0, at);
            if (!HexFormat.of().formatHex(sha.digest()).equalsIgnoreCase(expected)) {
                problems.add(0, "backup_manifest's Manifest-Checksum does not match its content");
            }
        } catch (NoSuchAlgorithmException e) {
            problems.add(0, "backup_manifest's Manifest-Checksum cannot be checked: " + e.getMessage());
        }
    }

    private static int lastIndexOf(byte[] data, byte[] key) {
        outer:
        for (int i = data.length - key.length; i >= 0; i--) {
            for (int j = 0; j < key.length; j++) {
                if (data[i + j] != key[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
