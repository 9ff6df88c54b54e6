package io.pgvault.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static io.pgvault.storage.codec.Compression.NONE;

import io.pgvault.PgvaultProperties;
import io.pgvault.storage.codec.Codec;
import io.pgvault.storage.codec.Compression;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An encrypted repository through the storage every feature uses: what lands on disk is ciphertext under a
 * header that names its key, stored checksums are recorded for key-less verification, a changed byte fails the
 * read naming the file, and key rotation keeps old files readable while their key is configured.
 */
class EncryptedRepositoryTests {

    @TempDir
    Path home;
    /** The workspace of the last storage made: one place, {@code home/workspace}, for them all. */
    Workspace workspace;

    @Test
    void filesAreStoredEncryptedAndReadBackWhole() throws Exception {
        RepositoryStorage storage = storage(home.resolve("current.key"), List.of());
        byte[] data = ("secret row of the orders table\n").repeat(100_000).getBytes(StandardCharsets.UTF_8);
        BackupStorage.Committed committed = commit(storage, data);
        assertThat(Files.getPosixFilePermissions(home.resolve("current.key")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        Path stored = home.resolve("vault").resolve(committed.location()).resolve("dump.custom");
        byte[] onDisk = Files.readAllBytes(stored);
        assertThat(new String(onDisk, StandardCharsets.ISO_8859_1)).startsWith("pgvault-aead-1 " + committed.keyId())
                .doesNotContain("secret row");
        ObjectStore.StoredObject recorded = committed.encrypted().get("dump.custom");
        assertThat(recorded.size()).isEqualTo(onDisk.length);
        assertThat(recorded.sha256()).isEqualTo(Sha256.of(stored));
        try (InputStream in = storage.open("vault", committed.location(), "dump.custom")) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        try (InputStream in = storage.openStored("vault", committed.location(), "dump.custom")) {
            assertThat(in.readAllBytes()).isEqualTo(onDisk);
        }
        try (Workspace.LocalCopy copy = workspace.materialize("vault", committed.location(), "dump.custom")) {
            assertThat(Files.readAllBytes(copy.path())).isEqualTo(data);
        }

        BackupStorage.WalStored wal = storage.storeWal("vault", "shop", "00000001", "000000010000000000000001", NONE,
                out -> out.write(data), () -> true);
        assertThat(wal.keyId()).isEqualTo(committed.keyId());
        assertThat(Files.readString(home.resolve("vault/shop/wal/00000001/000000010000000000000001"),
                StandardCharsets.ISO_8859_1)).doesNotContain("secret row");
        try (InputStream in = storage.openWal("vault", "shop", "00000001", "000000010000000000000001",
                Codec.NONE)) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        // the whole pipeline: compressed, then encrypted; the push's stored size is the compressed one
        BackupStorage.WalStored zstd = storage.storeWal("vault", "shop", "00000001", "000000010000000000000002",
                new Compression(Codec.ZSTD, 3), out -> out.write(data), () -> true);
        assertThat(zstd.file().sizeBytes()).isLessThan(data.length / 10);
        Path zstdStored = home.resolve("vault/shop/wal/00000001/000000010000000000000002");
        assertThat(new String(Files.readAllBytes(zstdStored), StandardCharsets.ISO_8859_1))
                .startsWith("pgvault-aead-1 " + committed.keyId());
        try (InputStream in = storage.openWal("vault", "shop", "00000001", "000000010000000000000002",
                Codec.ZSTD)) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }

        byte[] damaged = onDisk.clone();
        damaged[damaged.length / 2] ^= 1;
        Files.write(stored, damaged);
        assertThatThrownBy(() -> {
            try (InputStream in = storage.open("vault", committed.location(), "dump.custom")) {
                in.readAllBytes();
            }
        }).isInstanceOf(IOException.class).hasMessageContaining(committed.location() + "/dump.custom")
                .hasMessageContaining("authentication failed");
        assertThatThrownBy(() -> workspace.materialize("vault", committed.location(), "dump.custom"))
                .hasMessageContaining("dump.custom");
        assertThat(home.resolve("workspace/.scratch")).as("no partial download is left").isEmptyDirectory();
    }

    @Test
    void rotationKeepsOldFilesReadableWhileTheirKeyIsConfigured() throws Exception {
        byte[] data = "rotate me".getBytes(StandardCharsets.UTF_8);
        BackupStorage.Committed old = commit(storage(home.resolve("a.key"), List.of()), data);

        RepositoryStorage rotated = storage(home.resolve("b.key"), List.of(home.resolve("a.key")));
        BackupStorage.Committed fresh = commit(rotated, data);
        assertThat(fresh.keyId()).isNotEqualTo(old.keyId());
        for (BackupStorage.Committed c : List.of(old, fresh)) {
            try (InputStream in = rotated.open("vault", c.location(), "dump.custom")) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
        }

        RepositoryStorage forgotten = storage(home.resolve("b.key"), List.of());
        assertThatThrownBy(() -> forgotten.open("vault", old.location(), "dump.custom"))
                .hasMessageContaining(old.location() + "/dump.custom")
                .hasMessageContaining("no key with id " + old.keyId())
                .hasMessageContaining("encryption-old-key-files");
    }

    /** An upgrade: what was stored before repositories existed stays readable as "local", at the storage root. */
    @Test
    void backupsFromBeforeRepositoriesStayReadableAsLocal() throws Exception {
        Path legacy = Files.createDirectories(home.resolve("workspace/shop/DUMP/" + UUID.randomUUID()));
        Files.writeString(legacy.resolve("dump.sql"), "select 1;");
        RepositoryStorage storage = storage(home.resolve("current.key"), List.of());
        String location = "shop/DUMP/" + legacy.getFileName();
        assertThat(workspace.storesInPlace("local")).isTrue();
        try (InputStream in = storage.open("local", location, "dump.sql")) {
            assertThat(in.readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo("select 1;");
        }
        assertThat(storage.storedSize("local", location, "dump.sql")).contains(9L);
    }

    @Test
    void anEncryptedRepositoryWithoutAKeyDoesNotStart() {
        PgvaultProperties.Repository noKey = new PgvaultProperties.Repository("local", home.resolve("vault"), null,
                null, null, null, false, null, null, "zstd", "aes-256-gcm", null);
        assertThatThrownBy(() -> new Repositories(properties(noKey), Clock.systemUTC()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("pgvault.repositories.vault.encryption-key-file");
    }

    private BackupStorage.Committed commit(RepositoryStorage storage, byte[] data) throws IOException {
        StagingArea area = workspace.stage(UUID.randomUUID());
        try (HashingOutputStream out = area.create("dump.custom", n -> { })) {
            out.write(data);
        }
        area.seal();
        return storage.commit(area, "vault", "shop", "DUMP");
    }

    private RepositoryStorage storage(Path keyFile, List<Path> oldKeys) {
        PgvaultProperties.Repository vault = new PgvaultProperties.Repository("local", home.resolve("vault"), null,
                null, null, null, false, null, null, "zstd", "aes-256-gcm", keyFile, null, oldKeys, null);
        Repositories repositories = new Repositories(properties(vault), Clock.systemUTC());
        assertThat(repositories.forReading("vault").store()).isInstanceOf(EncryptedObjectStore.class);
        workspace = new Workspace(repositories);
        return new RepositoryStorage(repositories, workspace);
    }

    private PgvaultProperties properties(PgvaultProperties.Repository vault) {
        return new PgvaultProperties(null, new PgvaultProperties.Storage(new PgvaultProperties.Storage.Local(
                home.resolve("workspace"), 0)), new PgvaultProperties.Tools(List.of(), Duration.ofSeconds(5)), null,
                null, null, null, null, null, Map.of("vault", vault), "vault");
    }
}
