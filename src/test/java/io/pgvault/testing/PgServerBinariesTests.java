package io.pgvault.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The build's PostgreSQL 13 and 16 server binaries: extracted outside the build directory where the
 * server's OS user can read and execute them, and really running initdb and the server as that user.
 */
class PgServerBinariesTests {

    @ParameterizedTest
    @ValueSource(ints = {13, 16})
    void startsAClusterOfTheMajorAsTheServersOsUser(int major) throws Exception {
        Path bin = PgCluster.serverBinDirectory(major);
        assertThat(bin).startsWith(Path.of(System.getProperty("java.io.tmpdir")));
        assertThat(bin.toString()).doesNotContain("/target/");
        assertThat(PgBinaries.majorOf(bin)).isEqualTo(major);
        for (Path dir = bin; dir.getNameCount() > 1; dir = dir.getParent()) {
            assertThat(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS))
                    .as("%s lets others traverse it", dir).contains(PosixFilePermission.OTHERS_EXECUTE);
        }
        assertThat(Files.getPosixFilePermissions(bin.resolve("postgres")))
                .isEqualTo(PosixFilePermissions.fromString("rwxr-xr-x"));

        try (PgCluster cluster = PgCluster.start("major-" + major, major, Map.of("archive_mode", "on"))) {
            assertThat(cluster.serverBinDirectory()).isEqualTo(bin);
            assertThat(cluster.queryValue("postgres", "SELECT current_setting('server_version_num')::int / 10000"))
                    .isEqualTo(major);
            assertThat(cluster.queryValue("postgres", "SHOW archive_mode")).isEqualTo("on");
            String osUser = PgBinaries.runningAsRoot() ? PgBinaries.OS_USER : System.getProperty("user.name");
            assertThat(Files.getOwner(cluster.dataDirectory()).getName()).isEqualTo(osUser);
            Path pidFile = cluster.dataDirectory().resolve("postmaster.pid");
            long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
            assertThat(Files.getOwner(Path.of("/proc", Long.toString(pid))).getName())
                    .as("the postmaster's OS user").isEqualTo(osUser);
            assertThat(ProcessHandle.of(pid).flatMap(p -> p.info().command()).orElseThrow())
                    .isEqualTo(bin.resolve("postgres").toString());
        }
    }
}
