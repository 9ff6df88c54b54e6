package io.pgvault.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.PgvaultProperties;
import io.pgvault.storage.codec.Codec;
import io.pgvault.storage.codec.Compression;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import io.pgvault.testing.S3Server;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The store's contract, the same cases for every repository a store can stand on and every pipeline a file can
 * go through: the workspace's own directory (in place), another local directory, S3 (a real S3 server), each
 * plain and encrypted, and WAL stored as is and compressed. What is stored reads back as it was written, the
 * stored size and SHA-256 describe the bytes the pipeline made (before encryption), a stored WAL file is never
 * replaced, and what is removed is gone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StorePipelineTests {

    private static final List<String> REPOSITORIES = List.of("local", "other", "vault", "cloud", "cloud-vault");

    Path home;
    S3Server s3;
    Repositories repositories;
    RepositoryStorage store;
    Workspace workspace;

    @BeforeAll
    void open() throws IOException {
        home = io.pgvault.testing.TempDirs.create("pgvault-store-pipeline");
        s3 = S3Server.start("pgvault-pipeline");
        String prefix = "pipeline-" + UUID.randomUUID();
        Map<String, PgvaultProperties.Repository> configured = new LinkedHashMap<>();
        configured.put("local", local(home.resolve("workspace"), "none"));
        configured.put("other", local(home.resolve("other"), "none"));
        configured.put("vault", local(home.resolve("vault"), "aes-256-gcm"));
        configured.put("cloud", s3(prefix + "-plain", "none"));
        configured.put("cloud-vault", s3(prefix + "-vault", "aes-256-gcm"));
        repositories = new Repositories(new PgvaultProperties(null, new PgvaultProperties.Storage(
                new PgvaultProperties.Storage.Local(home.resolve("workspace"), 0)), new PgvaultProperties.Tools(
                List.of(), Duration.ofSeconds(5)), null, null, null, null, null, null, configured, "local"),
                Clock.systemUTC());
        workspace = new Workspace(repositories);
        store = new RepositoryStorage(repositories, workspace);
    }

    @AfterAll
    void close() throws IOException {
        repositories.close();
        store.stopRetries();
        s3.close();
        FileTrees.delete(home);
    }

    private PgvaultProperties.Repository local(Path path, String encryption) {
        return new PgvaultProperties.Repository("local", path, null, null, null, null, false, null, null, "zstd",
                encryption, home.resolve(path.getFileName() + ".key"));
    }

    private PgvaultProperties.Repository s3(String prefix, String encryption) {
        return new PgvaultProperties.Repository("s3", null, s3.endpoint(), "us-east-1", s3.bucket(), prefix, true,
                S3Server.ACCESS_KEY, S3Server.SECRET_KEY, "zstd", encryption, home.resolve(prefix + ".key"));
    }

    Stream<Arguments> pipelines() {
        return REPOSITORIES.stream().flatMap(r -> Stream.of(Arguments.of(r, Compression.NONE),
                Arguments.of(r, new Compression(Codec.ZSTD, 3))));
    }

    Stream<String> repositories() {
        return REPOSITORIES.stream();
    }

    @ParameterizedTest
    @MethodSource("pipelines")
    void aWalFileReadsBackAsPushedAndIsNeverReplaced(String repository, Compression compression) throws Exception {
        String cluster = "c" + UUID.randomUUID().toString().substring(0, 8);
        String name = "000000010000000000000001";
        byte[] body = "wal record ".repeat(50_000).getBytes(StandardCharsets.UTF_8);
        assertThat(store.hasWal(repository, cluster, "00000001", name)).isFalse();
        BackupStorage.WalStored first = store.storeWal(repository, cluster, "00000001", name, compression,
                out -> out.write(body), () -> true);
        assertThat(first.storedName()).isEqualTo(name);
        try (InputStream in = store.openWal(repository, cluster, "00000001", name, Codec.NONE)) {
            byte[] encoded = in.readAllBytes();
            assertThat(first.file().sizeBytes()).as("the stored size is the pipeline's, before encryption")
                    .isEqualTo(encoded.length);
            assertThat(first.file().sha256()).isEqualTo(Sha256.of(encoded));
            if (compression.codec() == Codec.ZSTD) {
                assertThat(encoded.length).as("compressed").isLessThan(body.length / 10);
            } else {
                assertThat(encoded).isEqualTo(body);
            }
        }
        try (InputStream in = store.openWal(repository, cluster, "00000001", name, compression.codec())) {
            assertThat(in.readAllBytes()).isEqualTo(body);
        }
        assertThat(first.keyId() != null).as("a key id exactly where the repository encrypts")
                .isEqualTo(encrypted(repository));

        BackupStorage.WalStored second = store.storeWal(repository, cluster, "00000001", name, compression,
                out -> out.write(new byte[] {1}), () -> true);
        assertThat(second.storedName()).as("the name is taken: a name of its own").startsWith(name + ".");
        assertThat(store.storeWal(repository, cluster, "00000001", name, compression, out -> out.write(2),
                () -> false).created()).as("the gate keeps it out").isFalse();
        assertThatThrownBy(() -> store.storeWal(repository, cluster, "00000001", "000000010000000000000002",
                compression, out -> {
                    out.write(body);
                    throw new IllegalStateException("refused");
                }, () -> true)).hasMessage("refused");
        assertThat(store.hasWal(repository, cluster, "00000001", "000000010000000000000002"))
                .as("a body that refuses itself leaves nothing").isFalse();
        try (InputStream in = store.openWal(repository, cluster, "00000001", name, compression.codec())) {
            assertThat(in.readAllBytes()).as("never replaced").isEqualTo(body);
        }

        store.deleteWal(repository, cluster, "00000001", second.storedName());
        store.deleteWal(repository, cluster, "00000001", name);
        store.deleteWal(repository, cluster, "00000001", name);
        assertThat(store.hasWal(repository, cluster, "00000001", name)).isFalse();
        assertThatThrownBy(() -> store.openWal(repository, cluster, "00000001", name, compression.codec()))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void aCommittedBackupReadsBackIsCopiedAndIsRemovedWhole(String repository) throws Exception {
        String cluster = "c" + UUID.randomUUID().toString().substring(0, 8);
        byte[] dump = "COPY orders FROM stdin;\n".repeat(20_000).getBytes(StandardCharsets.UTF_8);
        UUID id = UUID.randomUUID();
        StagingArea area = store.stage(id, repository, cluster, "DUMP");
        try (HashingOutputStream out = area.create("dump.sql", n -> { })) {
            out.write(dump);
        }
        try (HashingOutputStream out = area.create("dir/toc.dat", n -> { })) {
            out.write(new byte[] {7});
        }
        List<StoredFile> files = area.seal();
        BackupStorage.Committed committed = store.commit(area, repository, cluster, "DUMP");
        assertThat(committed.location()).isEqualTo(cluster + "/DUMP/" + id);
        assertThat(files).extracting(StoredFile::path).containsExactly("dir/toc.dat", "dump.sql");
        try (InputStream in = store.open(repository, committed.location(), "dump.sql")) {
            assertThat(in.readAllBytes()).isEqualTo(dump);
        }
        byte[] held;
        try (InputStream in = store.openStored(repository, committed.location(), "dump.sql")) {
            held = in.readAllBytes();
        }
        assertThat(store.storedSize(repository, committed.location(), "dump.sql")).contains((long) held.length);
        if (encrypted(repository)) {
            assertThat(committed.encrypted().get("dump.sql").sha256()).isEqualTo(Sha256.of(held));
            assertThat(committed.keyId()).isNotNull();
        } else {
            assertThat(held).isEqualTo(dump);
            assertThat(committed.encrypted()).isEmpty();
        }
        try (Workspace.LocalCopy copy = workspace.materialize(repository, committed.location(), "dir")) {
            assertThat(Files.readAllBytes(copy.path().resolve("toc.dat"))).containsExactly(7);
        }

        String to = repository.equals("other") ? "vault" : "other";
        store.copy(repository, committed.location(), to, committed.location(), "dump.sql");
        try (InputStream in = store.open(to, committed.location(), "dump.sql")) {
            assertThat(in.readAllBytes()).as("copied to %s", to).isEqualTo(dump);
        }
        store.delete(to, committed.location());

        store.delete(repository, committed.location());
        assertThat(store.storedSize(repository, committed.location(), "dump.sql")).isEmpty();
        assertThat(store.storedSize(repository, committed.location(), "dir/toc.dat")).isEmpty();
        assertThat(repositories.forReading(repository).store().list(cluster + "/")).isEmpty();
        try (Stream<Path> left = Files.list(home.resolve("workspace/.staging"))) {
            assertThat(left).as("no staging area is left").isEmpty();
        }
    }

    private boolean encrypted(String repository) {
        return repositories.forReading(repository).store() instanceof EncryptedObjectStore;
    }
}
