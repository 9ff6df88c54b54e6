package io.pgvault.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.api.InvalidRequestException;
import io.pgvault.cluster.ServerUser;
import io.pgvault.job.Cancellation;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.testing.PgCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the PostgreSQL OS user (which every database superuser can become) can do to pgvault's recovery
 * directories, run as root against a postgres-owned parent directory with real processes: a planted link is
 * refused, and a link swapped in after the check makes neither the extraction nor the clean-up touch the
 * root-only directory it points to.
 */
class DataDirectoriesTests {

    private Path base;
    private Path parent;
    private Path rootOnly;
    private DataDirectories directories;
    private ServerUserFiles files;
    private final List<String> log = new java.util.ArrayList<>();

    @BeforeEach
    void layout() throws Exception {
        assertThat(PgCluster.runningAsRoot()).as("these tests prove what root may not do: run them as root, as CI does")
                .isTrue();
        base = io.pgvault.testing.TempDirs.create("pgvault-safety-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        parent = Files.createDirectory(base.resolve("pgdata"));
        PgCluster.runAsOsUser("true");
        new ProcessBuilder("chown", PgCluster.osUser() + ":" + PgCluster.osUser(), parent.toString()).start().waitFor();
        rootOnly = Files.createDirectory(base.resolve("root-only"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(rootOnly.resolve("pgvault-cron"), "* * * * * root do-not-touch\n");
        files = new ServerUserFiles(ServerUser.named(PgCluster.osUser()), new ProcessExecutor());
        directories = new DataDirectories(files, ServerUser.named(PgCluster.osUser()), Clock.systemUTC());
    }

    @AfterEach
    void cleanUp() {
        PgCluster.deleteTree(base);
    }

    @Test
    void aLinkBelowTheRootIsRefusedBeforeAnythingIsWritten() throws Exception {
        PgCluster.runAsOsUser("ln", "-s", rootOnly.toString(), parent.resolve("recovered").toString());
        RecoveryRoots roots = roots();
        assertThatThrownBy(() -> roots.check(parent.resolve("recovered").toString()))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("symbolic link");
        assertThatThrownBy(() -> roots.check(parent.resolve("recovered").resolve("data").toString()))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("symbolic link");
        assertThatThrownBy(() -> directories.claim(base, parent.resolve("recovered")))
                .hasMessageContaining("symbolic link");
        assertRootOnlyUntouched();
    }

    @Test
    void aLinkSwappedInAfterTheClaimLeadsTheExtractionNowhere() throws Exception {
        Path target = parent.resolve("recovered");
        DataDirectories.Claim claim = directories.claim(base, target);
        assertThat(claim.maker()).isEqualTo(DataDirectories.Maker.SERVER_USER);
        assertThat(Files.getOwner(target).getName()).isEqualTo(PgCluster.osUser());
        swapForLink(target);

        assertThatThrownBy(() -> files.untar(new ByteArrayInputStream(tar("global/pg_control", "x")), target,
                Cancellation.none())).hasMessageContaining("exit code");
        assertThatThrownBy(() -> files.write(target.resolve("recovery.signal"), new byte[0]))
                .hasMessageContaining("Permission denied");
        assertThatThrownBy(() -> files.mkdir(target.resolve("pg_wal"))).hasMessageContaining("Permission denied");
        assertRootOnlyUntouched();
    }

    @Test
    void theCleanUpAfterAFailureRemovesTheSwappedLinkNeverItsTarget() throws Exception {
        Path target = parent.resolve("recovered");
        DataDirectories.Claim claim = directories.claim(base, target);
        files.write(target.resolve("PG_VERSION"), "15\n");
        swapForLink(target);

        directories.undo(claim, log::add);

        assertThat(target).doesNotExist();
        assertThat(Files.isSymbolicLink(target)).isFalse();
        assertRootOnlyUntouched();
        assertThat(parent.resolve("recovered-moved").resolve("PG_VERSION")).exists();
    }

    @Test
    void aDirectoryPgvaultMakesInItsOwnDirectoryIsHandedOverEmptyAndEmptiedByTheServerUser() throws Exception {
        Path drills = Files.createDirectory(base.resolve("drills"));
        Path copy = drills.resolve("drill-1");
        DataDirectories.Claim claim = directories.claim(base, copy);
        assertThat(claim.maker()).isEqualTo(DataDirectories.Maker.PGVAULT);
        assertThat(Files.getOwner(copy).getName()).isEqualTo(PgCluster.osUser());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("rwx------");
        PgCluster.runAsOsUser("ln", "-s", rootOnly.toString(), copy.resolve("pg_wal").toString());

        directories.undo(claim, log::add);

        assertThat(copy).doesNotExist();
        assertRootOnlyUntouched();
    }

    @Test
    void everyFileOfARecoveryBelongsToTheServerUser() throws Exception {
        Path target = parent.resolve("copy");
        directories.claim(base, target);
        files.untar(new ByteArrayInputStream(tar("base/1/1259", "data")), target, Cancellation.none());
        files.write(target.resolve("pgvault-wal.header"), "Authorization: Bearer x\n");
        try (Stream<Path> walk = Files.walk(target)) {
            for (Path p : walk.toList()) {
                assertThat(Files.getOwner(p).getName()).as("owner of %s", p).isEqualTo(PgCluster.osUser());
            }
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("pgvault-wal.header"))))
                .isEqualTo("rw-------");
    }

    private RecoveryRoots roots() {
        var properties = new io.pgvault.PgvaultProperties(null,
                new io.pgvault.PgvaultProperties.Storage(new io.pgvault.PgvaultProperties.Storage.Local(
                        base.resolveSibling(base.getFileName() + "-storage"), 0)), null, null, null, null, null, null,
                new io.pgvault.PgvaultProperties.Recovery(List.of(base), base.resolve("drills"),
                        java.time.Duration.ofDays(1)), null, null);
        return new RecoveryRoots(properties);
    }

    /** What the server user can do: rename the directory away and put a link to a root-only directory there. */
    private void swapForLink(Path target) {
        PgCluster.runAsOsUser("mv", target.toString(), target.resolveSibling("recovered-moved").toString());
        PgCluster.runAsOsUser("ln", "-s", rootOnly.toString(), target.toString());
    }

    private void assertRootOnlyUntouched() throws IOException {
        try (Stream<Path> list = Files.list(rootOnly)) {
            assertThat(list.map(p -> p.getFileName().toString())).containsExactly("pgvault-cron");
        }
        assertThat(Files.readString(rootOnly.resolve("pgvault-cron"))).isEqualTo("* * * * * root do-not-touch\n");
        assertThat(Files.getOwner(rootOnly).getName()).isEqualTo("root");
    }

    private static byte[] tar(String name, String content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry entry = new TarArchiveEntry(name);
            entry.setSize(bytes.length);
            entry.setMode(0600);
            tar.putArchiveEntry(entry);
            tar.write(bytes);
            tar.closeArchiveEntry();
        }
        return out.toByteArray();
    }
}
