package io.pgvault.verification;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.blocks.VerifyBackupManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link ManifestFiles} finds what pg_verifybackup finds in a directory against a backup_manifest written as the
 * host reader writes it: a changed byte, a missing or an unlisted file, a manifest edited after it was written;
 * and accepts the directory as it was, pg_wal and postgresql.auto.conf not listed, a file listed by size only.
 */
class ManifestFilesTests {

    @TempDir
    Path dir;
    final JsonMapper json = JsonMapper.builder().build();

    @Test
    void acceptsTheDirectoryItDescribesAndNamesEachDifference() throws IOException {
        write("PG_VERSION", "16\n");
        write("base/5/16384", "x".repeat(20000));
        write("global/pg_control", "control");
        write("pg_wal/000000010000000000000002", "wal");
        write("postgresql.auto.conf", "# not listed, as pg_verifybackup expects");
        Path manifest = dir.resolve("backup_manifest");
        Files.write(manifest, VerifyBackupManifest.write(List.of(file("PG_VERSION"), file("base/5/16384"),
                new VerifyBackupManifest.File("global/pg_control", 7, 0, null)), 1, "0/2000028", "0/2000100"));

        ManifestFiles.Checked good = ManifestFiles.check(json, manifest, dir);
        assertThat(good.problems()).isEmpty();
        assertThat(good.files()).isEqualTo(3);
        assertThat(good.checksummed()).isEqualTo(2);

        write("base/5/16384", "y" + "x".repeat(19999));
        Files.delete(dir.resolve("PG_VERSION"));
        write("base/5/16390", "new");
        assertThat(ManifestFiles.check(json, manifest, dir).problems()).containsExactlyInAnyOrder(
                "checksum mismatch for file \"base/5/16384\"",
                "\"PG_VERSION\" is present in the manifest but not on disk",
                "\"base/5/16390\" is present on disk but not in the manifest");

        String text = Files.readString(manifest).replace("\"Size\": 7", "\"Size\": 8");
        Files.writeString(manifest, text);
        assertThat(ManifestFiles.check(json, manifest, dir).problems())
                .contains("backup_manifest's Manifest-Checksum does not match its content")
                .contains("\"global/pg_control\" has size 7 on disk but size 8 in the manifest");
    }

    private void write(String path, String content) throws IOException {
        Path p = dir.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    private VerifyBackupManifest.File file(String path) throws IOException {
        byte[] bytes = Files.readAllBytes(dir.resolve(path));
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        int v = (int) crc.getValue();
        String hex = String.format("%02x%02x%02x%02x", v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
        return new VerifyBackupManifest.File(path, bytes.length, 0, hex);
    }
}
