package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The protected server fails under pgvault: it stops mid-dump, or its password changes. Clear failures, nothing
 * kept.
 */
class ClusterFaultTests extends EndToEndTest {

    static final String DB = "fault db";

    @Test
    void theServerGoesAwayDuringADump() throws Exception {
        try (PgCluster pg = PgCluster.start("vanishing")) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE t (id int)", "INSERT INTO t SELECT generate_series(1, 1000)");
            api.register("vanishing", pg);
            JsonNode job = null;
            try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
                lock.setAutoCommit(false);
                st.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
                job = api.startBackup("vanishing", Map.of("kind", "DUMP", "database", DB));
                api.awaitJob(job.path("id").asString(), Duration.ofSeconds(30), Set.of("RUNNING"));
                pg.awaitLockWaiter(DB);
                pg.stop(); // fast shutdown: every session, pg_dump's too, is terminated
            } catch (java.sql.SQLException expected) {
                // the lock holder's connection went with the server
            }
            JsonNode failed = api.awaitJob(job.path("id").asString(), Duration.ofSeconds(60));
            assertThat(failed.path("status").asString()).isEqualTo("FAILED");
            assertThat(failed.path("error").asString()).as(failed.toString())
                    .containsAnyOf("terminating connection", "server closed the connection", "connection to server",
                            "the database system is shutting down"); // a reconnect that met the shutdown
            JsonNode backup = api.get("/api/v1/backups/" + job.path("backupId").asString()).json();
            assertThat(backup.path("status").asString()).isEqualTo("FAILED");
            assertThat(backup.path("files").size()).as("a failed backup lists no files").isZero();
            assertThat(STORAGE.resolve(".staging").resolve(job.path("backupId").asString())).doesNotExist();

            Api.Response whileDown = api.post("/api/v1/clusters/vanishing/backups", Map.of("kind", "DUMP",
                    "database", DB));
            assertThat(whileDown.status()).as(whileDown.body()).isBetween(400, 503);
            assertThat(whileDown.contentType()).startsWith("application/problem+json");

            pg.start();
            assertThat(api.backup("vanishing", Map.of("kind", "DUMP", "database", DB)).path("status").asString())
                    .isEqualTo("SUCCEEDED");
        }
    }

    @Test
    void aChangedPasswordIsAClearFailure() {
        try (PgCluster pg = PgCluster.start("rotated")) {
            pg.createDatabase(DB);
            pg.createPasswordUser("rotated_user", "first-password-1");
            Map<String, Object> cluster = new HashMap<>(Map.of("name", "rotated", "host", pg.host(), "port", pg.port(),
                    "username", "rotated_user", "password", "first-password-1", "maintenanceDatabase", DB));
            assertThat(api.post("/api/v1/clusters", cluster).status()).isEqualTo(201);
            api.backup("rotated", Map.of("kind", "DUMP", "database", DB));

            pg.execute("postgres", "ALTER ROLE rotated_user PASSWORD 'second-password-2'");
            long jobs = api.jobCount();
            Api.Response refused = api.post("/api/v1/clusters/rotated/backups", Map.of("kind", "DUMP", "database", DB));
            assertThat(refused.status()).as(refused.body()).isBetween(400, 499);
            assertThat(refused.contentType()).startsWith("application/problem+json");
            assertThat(refused.field("detail")).contains("password authentication failed")
                    .doesNotContain("first-password-1").doesNotContain("second-password-2");
            assertThat(api.jobCount()).isEqualTo(jobs);
            JsonNode check = api.post("/api/v1/clusters/rotated/check", Map.of()).json();
            assertThat(check.toString()).contains("password authentication failed");

            cluster.put("password", "second-password-2");
            cluster.remove("name");
            assertThat(api.patch("/api/v1/clusters/rotated", cluster).status()).isEqualTo(200);
            api.backup("rotated", Map.of("kind", "DUMP", "database", DB));
        }
    }
}
