package io.pgvault.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static io.pgvault.storage.codec.Compression.NONE;

import io.pgvault.PgvaultProperties;
import io.pgvault.storage.codec.Codec;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Staging (the workspace), hashing on the way in, sealing, the atomic commit (the store), and clean-up of what
 * never committed.
 */
class RepositoryStorageTests {

    @TempDir
    Path root;
    RepositoryStorage storage;
    Workspace workspace;

    @BeforeEach
    void setUp() {
        Repositories repositories = new Repositories(new PgvaultProperties(null,
                new PgvaultProperties.Storage(new PgvaultProperties.Storage.Local(root, 0)),
                new PgvaultProperties.Tools(List.of(), Duration.ofSeconds(5)), null, null, null, null, null, null, null,
                null), java.time.Clock.systemUTC());
        workspace = new Workspace(repositories);
        storage = new RepositoryStorage(repositories, workspace);
    }

    @Test
    void hashesWhileWritingAndCommitsAtomically() throws Exception {
        UUID id = UUID.randomUUID();
        StagingArea area = workspace.stage(id);
        AtomicLong progress = new AtomicLong();
        byte[] data = "pgvault".repeat(100_000).getBytes(StandardCharsets.UTF_8);
        try (HashingOutputStream out = area.create("dump.custom", progress::set)) {
            out.write(data);
        }
        assertThat(progress.get()).isEqualTo(data.length);
        Files.createDirectories(area.directory().resolve("extra"));
        Files.writeString(area.directory().resolve("extra/toc.dat"), "x");
        List<StoredFile> files = area.seal();
        assertThat(files).extracting(StoredFile::path).containsExactly("dump.custom", "extra/toc.dat");
        assertThat(files.get(0).sizeBytes()).isEqualTo(data.length);
        try (InputStream in = new java.io.ByteArrayInputStream(data)) {
            assertThat(files.get(0).sha256()).isEqualTo(Sha256.of(in, new long[1]));
        }
        assertThat(files.get(1).sha256()).isEqualTo(Sha256.of(area.directory().resolve("extra/toc.dat")));

        String location = storage.commit(area, "local", "shop", "DUMP").location();
        assertThat(location).isEqualTo("shop/DUMP/" + id);
        assertThat(root.resolve(".staging").resolve(id.toString())).doesNotExist();
        try (InputStream in = storage.open("local", location, "dump.custom")) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        assertThat(StoredFile.combinedSha256(files)).hasSize(64).isNotEqualTo(files.get(0).sha256());
        assertThat(StoredFile.combinedSha256(files.subList(0, 1))).isEqualTo(files.get(0).sha256());
    }

    @Test
    void aWalBodyThatRefusesItselfWhileReadLeavesNothing() throws Exception {
        // what a WAL push that fails its check does: the read that finds out throws, after bytes were written
        InputStream refusing = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(new byte[300_000]),
                new InputStream() {
                    @Override
                    public int read() {
                        throw new IllegalStateException("refused");
                    }
                });
        assertThatThrownBy(() -> storage.storeWal("local", "shop", "00000001", "000000010000000000000001", NONE,
                refusing::transferTo, () -> true))
                .hasMessage("refused");
        Path wal = root.resolve("shop/wal/00000001");
        try (var files = Files.list(wal)) {
            assertThat(files).as("no file, no temporary file").isEmpty();
        }
        assertThatThrownBy(() -> storage.openWal("local", "shop", "00000001", "000000010000000000000001",
                Codec.NONE))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
        assertThat(storage.hasWal("local", "shop", "00000001", "000000010000000000000001")).isFalse();
    }

    @Test
    void aStoredWalFileIsThereUntilDeleted() throws Exception {
        byte[] body = "pgvault".repeat(1000).getBytes(StandardCharsets.UTF_8);
        assertThat(storage.hasWal("local", "shop", "00000001", "000000010000000000000002")).isFalse();
        assertThat(storage.storeWal("local", "shop", "00000001", "000000010000000000000002", NONE,
                out -> out.write(body), () -> true).storedName()).isEqualTo("000000010000000000000002");
        assertThat(storage.hasWal("local", "shop", "00000001", "000000010000000000000002")).isTrue();
        BackupStorage.WalStored second = storage.storeWal("local", "shop", "00000001", "000000010000000000000002",
                NONE, out -> out.write(new byte[] {1}), () -> true);
        assertThat(second.storedName()).as("the name is taken: stored under a name of its own")
                .startsWith("000000010000000000000002.");
        assertThat(storage.storeWal("local", "shop", "00000001", "000000010000000000000002", NONE,
                out -> out.write(new byte[] {2}), () -> false).created()).as("the gate keeps it out").isFalse();
        try (InputStream in = storage.openWal("local", "shop", "00000001", "000000010000000000000002",
                Codec.NONE)) {
            assertThat(in.readAllBytes()).as("never replaced").isEqualTo(body);
        }
        try (InputStream in = storage.openWal("local", "shop", "00000001", second.storedName(), Codec.NONE)) {
            assertThat(in.readAllBytes()).containsExactly(1);
        }
        try (var stored = Files.list(root.resolve("shop/wal/00000001"))) {
            assertThat(stored).as("no temporary file, nothing of the gated push").hasSize(2);
        }
        storage.deleteWal("local", "shop", "00000001", "000000010000000000000002");
        assertThat(storage.hasWal("local", "shop", "00000001", "000000010000000000000002")).isFalse();
        storage.deleteWal("local", "shop", "00000001", "000000010000000000000002");
    }

    /** The store's compression stage: what is stored is encoded, what is read back is decoded by the codec asked. */
    @Test
    void aWalFileIsStoredCompressedAndReadBackDecoded() throws Exception {
        byte[] body = "pgvault".repeat(100_000).getBytes(StandardCharsets.UTF_8);
        BackupStorage.WalStored stored = storage.storeWal("local", "shop", "00000001", "000000010000000000000004",
                new io.pgvault.storage.codec.Compression(Codec.ZSTD, 3), out -> out.write(body), () -> true);
        byte[] onDisk = Files.readAllBytes(root.resolve("shop/wal/00000001/000000010000000000000004"));
        assertThat(stored.file().sizeBytes()).isEqualTo(onDisk.length).isLessThan(body.length / 10);
        assertThat(stored.file().sha256()).isEqualTo(Sha256.of(onDisk));
        assertThat(Codec.detect(new java.io.BufferedInputStream(new java.io.ByteArrayInputStream(onDisk))))
                .isEqualTo(Codec.ZSTD);
        try (InputStream in = storage.openWal("local", "shop", "00000001", "000000010000000000000004", Codec.ZSTD)) {
            assertThat(in.readAllBytes()).isEqualTo(body);
        }
    }

    @Test
    void stagingAndScratchAreOwnerOnlyFromTheStart() throws Exception {
        StagingArea area = workspace.stage(UUID.randomUUID());
        assertThat(mode(area.directory())).isEqualTo("rwx------");
        area.create("sub/written.sql", n -> { }).close();
        Path reserved = area.reserve("dumpall.sql");
        assertThat(mode(area.directory().resolve("sub"))).isEqualTo("rwx------");
        assertThat(mode(area.directory().resolve("sub/written.sql"))).isEqualTo("rw-------");
        assertThat(mode(reserved)).isEqualTo("rw-------");
        // a tool that writes a reserved file keeps its mode; what it makes itself (umask) is closed at sealing
        Files.writeString(reserved, "select 1;", java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
        Path toolMade = Files.createDirectories(area.directory().resolve("dump"));
        Files.writeString(toolMade.resolve("toc.dat"), "x");
        Files.setPosixFilePermissions(toolMade, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(toolMade.resolve("toc.dat"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(mode(reserved)).isEqualTo("rw-------");
        area.seal();
        assertThat(mode(toolMade)).isEqualTo("rwx------");
        assertThat(mode(toolMade.resolve("toc.dat"))).isEqualTo("rw-------");
        assertThat(mode(workspace.scratch("verify"))).isEqualTo("rwx------");
    }

    private static String mode(Path p) throws java.io.IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void discardRemovesStagingAndAnUnrecordedCommit() throws Exception {
        UUID staged = UUID.randomUUID();
        workspace.stage(staged).create("f", n -> { }).close();
        UUID committed = UUID.randomUUID();
        StagingArea area = workspace.stage(committed);
        area.create("f", n -> { }).close();
        storage.commit(area, "local", "shop", "DUMP");

        storage.discard(staged, "local", "shop", "DUMP");
        storage.discard(committed, "local", "shop", "DUMP");
        assertThat(root.resolve(".staging").resolve(staged.toString())).doesNotExist();
        assertThat(root.resolve("shop/DUMP").resolve(committed.toString())).doesNotExist();
    }

    @Test
    void sweepKeepsOnlyUnfinishedBackups() throws Exception {
        UUID keep = UUID.randomUUID();
        UUID orphan = UUID.randomUUID();
        workspace.stage(keep);
        workspace.stage(orphan).create("partial", n -> { }).close();
        assertThat(workspace.sweepStaging(Set.of(keep))).isEqualTo(1);
        assertThat(root.resolve(".staging").resolve(keep.toString())).exists();
        assertThat(root.resolve(".staging").resolve(orphan.toString())).doesNotExist();
    }

    @Test
    void refusesPathsOutsideTheStore() throws Exception {
        StagingArea area = workspace.stage(UUID.randomUUID());
        assertThatThrownBy(() -> area.create("../../escape", n -> { })).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.open("local", "../outside", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.delete("local", ".staging")).isInstanceOf(IllegalArgumentException.class);
        assertThat(workspace.isWritable()).isTrue();
        assertThat(workspace.usableSpace()).isPositive();
    }

    /** A repository that is not the workspace's own goes through its object store: uploads, downloads, deletes. */
    @Test
    void anotherRepositoryGetsUploadsAndGivesLocalCopies(@TempDir Path elsewhere) throws Exception {
        Repositories repositories = new Repositories(new PgvaultProperties(null,
                new PgvaultProperties.Storage(new PgvaultProperties.Storage.Local(root, 0)),
                new PgvaultProperties.Tools(List.of(), Duration.ofSeconds(5)), null, null, null, null, null, null,
                java.util.Map.of("local", repository(root), "other", repository(elsewhere)), "local"),
                java.time.Clock.systemUTC());
        Workspace here = new Workspace(repositories);
        RepositoryStorage two = new RepositoryStorage(repositories, here);
        assertThat(here.storesInPlace("local")).isTrue();
        assertThat(here.storesInPlace("other")).isFalse();
        UUID id = UUID.randomUUID();
        StagingArea area = here.stage(id);
        try (HashingOutputStream out = area.create("dump/toc.dat", n -> { })) {
            out.write("toc".getBytes(StandardCharsets.UTF_8));
        }
        area.create("dump/1.dat", n -> { }).close();
        area.seal();
        String location = two.commit(area, "other", "shop", "DUMP").location();
        assertThat(area.directory()).doesNotExist();
        assertThat(elsewhere.resolve(location).resolve("dump/toc.dat")).hasContent("toc");
        try (InputStream in = two.open("other", location, "dump/toc.dat")) {
            assertThat(in.readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo("toc");
        }
        Path copied;
        try (Workspace.LocalCopy copy = here.materialize("other", location, "dump")) {
            copied = copy.path();
            assertThat(copied.startsWith(root.resolve(".scratch"))).isTrue();
            assertThat(copied.resolve("toc.dat")).hasContent("toc");
            assertThat(copied.resolve("1.dat")).exists();
        }
        assertThat(copied).doesNotExist();
        assertThatThrownBy(() -> here.materialize("other", location, "missing"))
                .isInstanceOf(java.nio.file.NoSuchFileException.class).hasMessageContaining("other");

        String wal = "000000010000000000000003";
        assertThat(two.storeWal("other", "shop", "00000001", wal, NONE,
                out -> out.write(1), () -> true).storedName())
                .isEqualTo(wal);
        String own = two.storeWal("other", "shop", "00000001", wal, NONE,
                out -> out.write(2), () -> true).storedName();
        assertThat(own).as("the name is taken: a name of its own").startsWith(wal + ".");
        two.deleteWal("other", "shop", "00000001", own);
        assertThat(two.hasWal("other", "shop", "00000001", wal)).isTrue();
        try (InputStream in = two.openWal("other", "shop", "00000001", wal, Codec.NONE)) {
            assertThat(in.readAllBytes()).containsExactly(1);
        }
        two.deleteWal("other", "shop", "00000001", wal);
        assertThat(two.hasWal("other", "shop", "00000001", wal)).isFalse();
        assertThat(root.resolve(".scratch")).isEmptyDirectory();

        two.delete("other", location);
        try (var left = Files.walk(elsewhere)) {
            assertThat(left.filter(Files::isRegularFile)).isEmpty();
        }
        assertThat(root.resolve("shop")).doesNotExist();
    }

    private static PgvaultProperties.Repository repository(Path path) {
        return new PgvaultProperties.Repository("local", path, null, null, null, null, false, null, null, "zstd",
                "none", null);
    }
}
