package io.pgvault.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.testing.PgCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tool sets are found by running the real binaries; a server too new for them is refused with advice. Server
 * binaries count in any tools directory, one that holds nothing else included (the build's PostgreSQL 13
 * and 16 are such directories).
 */
class PostgresToolsTests {

    private static PgvaultProperties properties(List<Path> dirs) {
        return new PgvaultProperties(null, null, new PgvaultProperties.Tools(dirs, Duration.ofSeconds(5)),
                new PgvaultProperties.Postgres("postgres"), null, null, null, null, null, null, null);
    }

    private static PostgresTools tools(List<Path> dirs) {
        return new PostgresTools(properties(dirs), new ProcessExecutor());
    }

    @Test
    void picksTheInstalledToolsForTheirServerVersion() {
        Path bin = PgCluster.binDirectory();
        PostgresTools.ToolSet set = tools(List.of(bin)).forServer(12);
        assertThat(set.directory()).isEqualTo(bin.toAbsolutePath().normalize());
        assertThat(set.major()).isGreaterThanOrEqualTo(12);
        assertThat(set.version()).startsWith(Integer.toString(set.major()));
        assertThat(set.path("pg_dump")).endsWith("/pg_dump");
    }

    @Test
    void refusesAServerNewerThanEveryTool(@TempDir Path empty) {
        Path bin = PgCluster.binDirectory();
        assertThatThrownBy(() -> tools(List.of(bin, empty)).forServer(99))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("client tools of version 99 or newer")
                .hasMessageContaining("the newest in pgvault.tools.directories [" + bin + ", " + empty
                        + "] are version")
                .hasMessageContaining("apt-get install postgresql-client-99, from the PostgreSQL apt repository")
                .hasMessageContaining("add their directory (there: /usr/lib/postgresql/99/bin) to "
                        + "pgvault.tools.directories");
        assertThatThrownBy(() -> tools(List.of(empty)).forServer(15))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("there are none in pgvault.tools.directories [" + empty + "]");
    }

    @Test
    void findsServerBinariesInADirectoryThatHoldsNothingElse() {
        Path bin = PgCluster.binDirectory();
        Path pg13 = PgCluster.serverBinDirectory(13);
        PostgresTools tools = tools(List.of(bin, pg13));
        assertThat(tools.available()).extracting(PostgresTools.ToolSet::directory).containsExactly(bin);
        assertThat(tools.serverBinaries()).extracting(PostgresTools.ToolSet::major).contains(13)
                .doesNotHaveDuplicates();
        LocalPostgres local = new LocalPostgres(tools, new ProcessExecutor(), ServerUser.named("postgres"));
        PostgresTools.ToolSet server = local.serverBinaries(13);
        assertThat(server.directory()).isEqualTo(pg13);
        assertThat(server.version()).startsWith("13.");
        assertThat(server.has("pg_ctl")).isTrue();
        assertThat(server.has("pg_dump")).isFalse();
        local.requireRecoveryTools(13);
        assertThatThrownBy(() -> local.serverBinaries(12)).isInstanceOf(ConflictException.class)
                .hasMessageContaining("needs the PostgreSQL 12 server binaries")
                .hasMessageContaining("there are only ")
                .hasMessageContaining(server.version() + " (" + pg13 + ")")
                .hasMessageContaining("apt-get install postgresql-12")
                .hasMessageContaining("to pgvault.tools.directories");
    }

    @Test
    void namesAServerOnlyDirectoryWhenTheClientToolsAreTooOld() {
        Path bin = PgCluster.binDirectory();
        Path pg16 = PgCluster.serverBinDirectory(16);
        int toolMajor = tools(List.of(bin)).available().get(0).major();
        assertThat(toolMajor).as("the machine's own tools are older than the build's PostgreSQL 16").isLessThan(16);
        PostgresTools tools = tools(List.of(bin, pg16));
        String version = tools.serverBinaries().get(0).version();
        assertThat(version).startsWith("16.");
        assertThatThrownBy(() -> tools.forServer(16))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("PostgreSQL 16 needs client tools of version 16 or newer")
                .hasMessageContaining(pg16 + " holds PostgreSQL " + version + " server binaries but no client tools")
                .hasMessageContaining("apt-get install postgresql-client-16");
    }

    @Test
    void findsToolsOnTheDefaultSearchPath() {
        assertThat(tools(List.of()).available()).isNotEmpty();
    }
}
