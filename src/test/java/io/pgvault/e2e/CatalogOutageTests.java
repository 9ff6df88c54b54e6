package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The catalog database goes away for a while: health says so, requests get a clear 503 and start nothing,
 * a job that was running is not lost, and work resumes on its own when the catalog is back.
 */
class CatalogOutageTests {

    static final String DB = "outage db";

    @TempDir
    Path dir;

    @Test
    void pgvaultRidesOutACatalogOutage() throws Exception {
        PgCluster data = PgCluster.shared();
        if (!data.databaseExists(DB)) {
            data.createDatabase(DB);
            data.execute(DB, "CREATE TABLE t (id int)", "INSERT INTO t SELECT generate_series(1, 1000)");
        }
        int port = ServerProcess.freePort();
        try (PgCluster catalog = PgCluster.start("catalog")) {
            catalog.createDatabase("pgvault");
            try (ServerProcess server = ServerProcess.start(dir, port,
                    "--spring.datasource.url=" + catalog.jdbcUrl("pgvault"),
                    "--spring.datasource.username=" + catalog.superuser(),
                    "--spring.datasource.hikari.connection-timeout=2000");
                    Connection lock = data.connect(DB); Statement st = lock.createStatement()) {
                Api api = new Api(port);
                api.register("outage", data);
                api.backup("outage", Map.of("kind", "DUMP", "database", DB));

                // a backup is running (its pg_dump waits for a lock) when the catalog goes away
                lock.setAutoCommit(false);
                st.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
                JsonNode running = api.startBackup("outage", Map.of("kind", "DUMP", "database", DB));
                api.awaitJob(running.path("id").asString(), Duration.ofSeconds(30), Set.of("RUNNING"));
                data.awaitLockWaiter(DB);
                catalog.stop();

                Api.Response health = api.get("/actuator/health");
                assertThat(health.status()).as("%s%n%s", health.body(), server.output()).isEqualTo(503);
                assertThat(health.json().path("components").path("catalog").path("status").asString())
                        .isEqualTo("DOWN");
                Api.Response refused = api.post("/api/v1/clusters/outage/backups", Map.of("kind", "DUMP",
                        "database", DB));
                assertThat(refused.status()).as(refused.body()).isEqualTo(503);
                assertThat(refused.contentType()).startsWith("application/problem+json");
                assertThat(refused.field("detail")).contains("catalog");
                assertThat(api.get("/actuator/health/liveness").status()).as("alive all the same").isEqualTo(200);
                Api.sleep(3000);

                catalog.start();
                long deadline = System.currentTimeMillis() + 60_000;
                while (api.get("/actuator/health").json().path("components").path("catalog").path("status")
                        .asString().equals("DOWN")) {
                    assertThat(System.currentTimeMillis()).as("the catalog never came back UP").isLessThan(deadline);
                    Api.sleep(250);
                }
                lock.rollback(); // the dump, which ran all along, can end now
                JsonNode finished = api.awaitJob(running.path("id").asString(), Duration.ofMinutes(2));
                assertThat(finished.path("status").asString()).as("the running job was not lost: %s\n%s", finished,
                        server.output()).isEqualTo("SUCCEEDED");
                assertThat(api.get("/api/v1/backups/" + running.path("backupId").asString()).json().path("status")
                        .asString()).isEqualTo("SUCCEEDED");
                assertThat(api.backup("outage", Map.of("kind", "DUMP", "database", DB)).path("status").asString())
                        .isEqualTo("SUCCEEDED");
            }
        }
    }
}
