package io.pgvault.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.job.ProcessExecutor;
import io.pgvault.testing.PgCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tool sets are found by running the real binaries; a server too new for them is refused with advice. */
class PostgresToolsTests {

    private static PostgresTools tools(List<Path> dirs) {
        return new PostgresTools(new PgvaultProperties(null, null, new PgvaultProperties.Tools(dirs,
                Duration.ofSeconds(5)), null, null, null, null, null, null), new ProcessExecutor());
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
                .hasMessageContaining("version 99 or newer")
                .hasMessageContaining("apt-get install postgresql-client-99");
        assertThatThrownBy(() -> tools(List.of(empty)).forServer(15))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("only none were found");
    }

    @Test
    void findsToolsOnTheDefaultSearchPath() {
        assertThat(tools(List.of()).available()).isNotEmpty();
    }
}
