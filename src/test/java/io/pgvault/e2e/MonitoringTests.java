package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Size anomalies are flagged on the backup; the Prometheus endpoint carries pgvault's meters. */
class MonitoringTests extends EndToEndTest {

    static final String CLUSTER = "sizes";
    static final String DB = "sizes db";
    static PgCluster pg;

    @BeforeAll
    static void seed() {
        pg = PgCluster.shared();
        if (pg.databaseExists(DB)) {
            pg.dropDatabase(DB);
        }
        pg.createDatabase(DB);
        pg.execute(DB, "CREATE TABLE t (id int, v text)", "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 200) g");
    }

    @Test
    void aBackupMuchLargerThanItsSpecsMedianIsFlaggedAndCounted() {
        api.register(CLUSTER, pg);
        // the counters exist at 0 before their first event, so that alert rules see a series from the start
        String before = awaitMetric("pgvault_backup_size_anomalies_total{cluster=\"" + CLUSTER + "\"}");
        assertThat(value(before, "pgvault_backup_size_anomalies_total{cluster=\"" + CLUSTER + "\"}")).isEqualTo(0.0);
        assertThat(value(before, "pgvault_jobs_finished_total{outcome=\"CANCELLED\",type=\"COPY\"}")).isEqualTo(0.0);
        for (int i = 0; i < 3; i++) {
            JsonNode b = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB));
            assertThat(b.path("sizeAnomaly").isMissingNode() || b.path("sizeAnomaly").isNull())
                    .as("a steady size is no anomaly: %s", b).isTrue();
        }
        pg.execute(DB, "INSERT INTO t SELECT g, md5(g::text) || md5((g + 1)::text) FROM generate_series(1, 50000) g");
        JsonNode grown = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB));
        String id = grown.path("id").asString();
        JsonNode flagged = awaitFlag(id);
        assertThat(flagged.path("sizeAnomaly").asString()).contains("from the median").contains("of the last 3")
                .matches("\\d+ bytes is \\+\\d+% .*");

        // gauges follow the catalog in a refresh after each job (and every 10 s)
        String metrics = awaitMetric("pgvault_backup_last_success_age_seconds{cluster=\"" + CLUSTER + "\"}");
        assertThat(value(metrics, "pgvault_backup_size_anomalies_total{cluster=\"" + CLUSTER + "\"}")).isEqualTo(1.0);
        assertThat(value(metrics, "pgvault_backup_duration_seconds_count{cluster=\"" + CLUSTER + "\",kind=\"DUMP\"}"))
                .isEqualTo(4.0);
        assertThat(value(metrics, "pgvault_backup_size_bytes_max{cluster=\"" + CLUSTER + "\",kind=\"DUMP\"}"))
                .isEqualTo(grown.path("sizeBytes").asDouble());
        assertThat(value(metrics, "pgvault_jobs_finished_total{outcome=\"SUCCEEDED\",type=\"BACKUP\"}")).isGreaterThanOrEqualTo(4.0);
        assertThat(value(metrics, "pgvault_cluster_healthy{cluster=\"" + CLUSTER + "\"}")).isEqualTo(1.0);
        assertThat(value(metrics, "pgvault_backup_last_success_age_seconds{cluster=\"" + CLUSTER + "\"}")).isLessThan(120.0);
        assertThat(metrics).contains("pgvault_jobs_queued ");
        // the series the shipped alert rules watch
        assertThat(value(metrics, "pgvault_cluster_problem{cluster=\"" + CLUSTER + "\",kind=\"RPO_BREACHED\"}"))
                .isEqualTo(0.0);
        assertThat(value(metrics, "pgvault_repository_up{repository=\"local\"}")).isEqualTo(1.0);
        // seen once missing from one scrape in a full run (the cause is not found yet): the next probes must show it
        String free = "pgvault_repository_free_bytes{repository=\"local\"}";
        assertThat(value(awaitMetric(free), free)).isPositive();
    }

    private JsonNode awaitFlag(String id) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            JsonNode b = api.get("/api/v1/backups/" + id).json();
            if (!b.path("sizeAnomaly").asString("").isEmpty()) {
                return b;
            }
            assertThat(System.nanoTime()).as("backup %s not flagged: %s", id, b).isLessThan(deadline);
            Api.sleep(100);
        }
    }

    private String awaitMetric(String series) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            String metrics = api.get("/actuator/prometheus").body();
            if (metrics.contains(series)) {
                return metrics;
            }
            assertThat(System.nanoTime()).as("no %s yet", series).isLessThan(deadline);
            Api.sleep(200);
        }
    }

    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        assertThat(m.find()).as("%s in%n%s", series, metrics.lines().filter(l -> l.startsWith("pgvault")).toList())
                .isTrue();
        return Double.parseDouble(m.group(1));
    }
}
