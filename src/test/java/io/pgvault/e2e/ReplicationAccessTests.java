package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A BASE backup needs a replication connection: a cluster whose pg_hba.conf refuses one is told so by check,
 * with the line to add, and its BASE backup is refused the same way before any job starts.
 */
class ReplicationAccessTests extends EndToEndTest {

    @Test
    void aRefusedReplicationConnectionIsNamedByCheckAndRefusesABaseBackupUpFront() throws Exception {
        try (PgCluster pg = PgCluster.start("no-replication")) {
            pg.prependHbaLineAndReload("host replication all 127.0.0.1/32 reject");
            api.register("no-replication", pg);

            JsonNode checks = api.post("/api/v1/clusters/no-replication/check", "").json();
            JsonNode replication = null;
            for (JsonNode c : checks.path("checks")) {
                if (c.path("name").asString().equals("replication")) {
                    replication = c;
                }
            }
            assertThat(replication).as(checks.toString()).isNotNull();
            assertThat(replication.path("ok").asBoolean()).isFalse();
            assertThat(replication.path("detail").asString())
                    .contains("host replication postgres 127.0.0.1/32 scram-sha-256");

            long jobs = api.jobCount();
            Api.Response refused = api.post("/api/v1/clusters/no-replication/backups", Map.of("kind", "BASE"));
            assertThat(refused.status()).as(refused.body()).isEqualTo(409);
            assertThat(refused.contentType()).startsWith("application/problem+json");
            assertThat(refused.json().path("detail").asString()).contains("replication connection")
                    .contains("host replication postgres 127.0.0.1/32 scram-sha-256");
            assertThat(api.jobCount()).isEqualTo(jobs);

            // a DUMP needs no replication connection
            api.backup("no-replication", Map.of("kind", "DUMP", "database", "postgres"));
        }
    }
}
