package io.pgvault.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.PgvaultProperties;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Password files live in a private directory and outlive no process: at start-up the files of processes
 * that are gone are swept, and those of processes still running (another pgvault on the host) are kept.
 */
class PassFilesTests {

    @TempDir
    Path dir;

    @Test
    void writesOwnerOnlyFilesInAPrivateDirectory() throws Exception {
        PassFiles files = passFiles(dir.resolve("pgpass"));
        Path file = files.write("se:cr\\et");
        assertThat(file.getParent()).isEqualTo(dir.resolve("pgpass"));
        assertThat(mode(file.getParent())).isEqualTo("rwx------");
        assertThat(mode(file)).isEqualTo("rw-------");
        assertThat(Files.readString(file)).isEqualTo("*:*:*:*:se\\:cr\\\\et\n");
    }

    @Test
    void sweepsTheFilesOfProcessesThatAreGoneAtStart() throws Exception {
        Path pgpass = Files.createDirectory(dir.resolve("pgpass"));
        Instant jvmStart = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
        long self = ProcessHandle.current().pid();
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor(10, TimeUnit.SECONDS);
        Process running = new ProcessBuilder("sleep", "60").start();
        try {
            Path dead = plant(pgpass, ended.pid(), Instant.now());
            Path alive = plant(pgpass, running.pid(), Instant.now());
            Path reused = plant(pgpass, running.pid(), Instant.now().minus(Duration.ofHours(1)));
            Path mineBefore = plant(pgpass, self, jvmStart.minus(Duration.ofMinutes(1)));
            Path mineNow = plant(pgpass, self, Instant.now());
            Path unnamed = Files.writeString(pgpass.resolve("left-over.pgpass"), "x");
            Files.setLastModifiedTime(unnamed, FileTime.from(jvmStart.minus(Duration.ofMinutes(1))));
            Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rwxr-xr-x"));

            passFiles(pgpass);
            assertThat(dead).as("its process has ended").doesNotExist();
            assertThat(reused).as("its pid runs another, newer process").doesNotExist();
            assertThat(mineBefore).as("this pid, but from before this process started").doesNotExist();
            assertThat(unnamed).doesNotExist();
            assertThat(alive).as("another pgvault still uses it").exists();
            assertThat(mineNow).exists();
            assertThat(mode(pgpass)).isEqualTo("rwx------");
        } finally {
            running.destroyForcibly();
        }
    }

    @Test
    void refusesALinkInsteadOfItsDirectory() throws Exception {
        Path target = Files.createDirectory(dir.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(dir.resolve("pgpass"), target);
        assertThatThrownBy(() -> passFiles(link)).hasMessageContaining("symbolic link");
    }

    private static Path plant(Path directory, long pid, Instant written) throws Exception {
        Path file = Files.writeString(directory.resolve(pid + "-" + java.util.UUID.randomUUID() + ".pgpass"),
                "*:*:*:*:x\n");
        Files.setLastModifiedTime(file, FileTime.from(written));
        return file;
    }

    private static PassFiles passFiles(Path directory) {
        return new PassFiles(new PgvaultProperties(null, null, new PgvaultProperties.Tools(List.of(),
                Duration.ofSeconds(5), directory), null, null, null, null, null, null, null, null));
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
