package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

/**
 * RESTORE drills of real dumps: a good dump restores with the source's row counts and passes the cluster's
 * sanity queries, leaving no scratch database behind and a measured RTO; a dump that is broken inside (but
 * whose checksums were recorded broken, so only a restore can tell), a count that does not match and a
 * failing sanity query all fail it.
 */
class RestoreDrillTests extends EndToEndTest {

    static final String CLUSTER = "drilled";
    static final String DB = "drill db";
    static PgCluster pg;

    @Autowired
    JdbcTemplate catalog;

    @BeforeAll
    static void seed() {
        pg = PgCluster.shared();
        if (pg.databaseExists(DB)) {
            pg.dropDatabase(DB);
        }
        pg.createDatabase(DB);
        pg.execute(DB, "CREATE TABLE t (id int PRIMARY KEY, v text)",
                "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g",
                "CREATE SCHEMA \"other schema\"", "CREATE TABLE \"other schema\".\"Odd Name\" (x int)",
                "INSERT INTO \"other schema\".\"Odd Name\" SELECT generate_series(1, 7)");
    }

    @Test
    void aGoodDumpPassesItsDrillAndBrokenOnesFail() throws Exception {
        Map<String, Object> cluster = new LinkedHashMap<>(Map.of("name", CLUSTER, "host", pg.host(), "port", pg.port(),
                "username", pg.superuser(), "sanityQueries", List.of(
                        Map.of("name", "all rows", "sql", "select count(*) from t", "expect", "20000"),
                        Map.of("name", "it runs", "sql", "select max(v) from t"))));
        Api.Response registered = api.post("/api/v1/clusters", cluster);
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);

        for (String format : List.of("CUSTOM", "PLAIN", "DIRECTORY")) {
            JsonNode backup = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB, "format", format));
            JsonNode drilled = drill(backup.path("id").asString());
            JsonNode v = drilled.path("verification");
            assertThat(v.path("status").asString()).as("%s: %s", format, v).isEqualTo("PASSED");
            assertThat(v.path("level").asString()).isEqualTo("RESTORE");
            assertThat(v.path("detail").asString()).contains("row counts of 2 table(s) match the source")
                    .contains("2 sanity queries passed").contains("restored into a scratch database");
            assertThat(drilled.path("drillSeconds").asDouble()).isPositive();
        }
        // rows committed while the dump runs are neither in it nor counted: the counts describe its snapshot
        String duringId;
        try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
            lock.setAutoCommit(false);
            st.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
            String jobId = api.startBackup(CLUSTER, Map.of("kind", "DUMP", "database", DB, "format", "CUSTOM"))
                    .path("id").asString();
            awaitSnapshotReader();
            pg.execute(DB, "INSERT INTO \"other schema\".\"Odd Name\" SELECT generate_series(8, 10)");
            lock.rollback();
            JsonNode job = api.awaitJob(jobId, Duration.ofMinutes(1));
            assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
            duringId = job.path("backupId").asString();
        }
        assertThat(catalog.queryForObject("select row_count from backup_table_rows where backup_id = ? "
                + "and table_name = 'Odd Name'", Long.class, UUID.fromString(duringId))).isEqualTo(7L);
        JsonNode during = drill(duringId).path("verification");
        assertThat(during.path("status").asString()).as(during.toString()).isEqualTo("PASSED");
        assertThat(during.path("detail").asString()).contains("row counts of 2 table(s) match the source");
        pg.execute(DB, "DELETE FROM \"other schema\".\"Odd Name\" WHERE x > 7");

        assertThat(pg.queryValue("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'pgvault_drill_%'"))
                .as("scratch databases are dropped").isEqualTo(0L);
        JsonNode rto = api.get("/api/v1/clusters/" + CLUSTER).json().path("measuredRto");
        assertThat(rto.path("seconds").asDouble()).isPositive();
        assertThat(rto.path("passed").asBoolean()).isTrue();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String metrics;
        do {
            Api.sleep(200);
            metrics = api.get("/actuator/prometheus").body();
        } while (!metrics.contains("pgvault_drill_last_passed{cluster=\"" + CLUSTER + "\"} 1.0")
                && System.nanoTime() < deadline);
        assertThat(metrics).contains("pgvault_drill_last_passed{cluster=\"" + CLUSTER + "\"} 1.0")
                .contains("pgvault_drill_last_rto_seconds{cluster=\"" + CLUSTER + "\"}");

        // broken inside, with the catalog's checksums taken of the broken file: only a restore can tell
        JsonNode broken = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB, "format", "CUSTOM"));
        String id = broken.path("id").asString();
        byte[] dump = stored().stored(id, "dump.custom");
        java.util.Arrays.fill(dump, dump.length / 2, Math.min(dump.length, dump.length / 2 + 4096), (byte) 0);
        stored().replaceStored(id, "dump.custom", dump);
        catalog.update("update backup_file set sha256 = ?, size_bytes = ? where backup_id = ?",
                io.pgvault.storage.Sha256.of(dump), (long) dump.length, UUID.fromString(id));
        JsonNode failed = drill(id).path("verification");
        assertThat(failed.path("status").asString()).as(failed.toString()).isEqualTo("FAILED");
        assertThat(failed.path("detail").asString()).contains("the restore into a scratch database failed");

        JsonNode counted = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB));
        catalog.update("update backup_table_rows set row_count = 19999 where backup_id = ? and table_name = 't'",
                UUID.fromString(counted.path("id").asString()));
        JsonNode miscounted = drill(counted.path("id").asString()).path("verification");
        assertThat(miscounted.path("status").asString()).isEqualTo("FAILED");
        assertThat(miscounted.path("detail").asString())
                .contains("public.t has 20000 row(s), the source had 19999");

        cluster.remove("name");
        cluster.put("sanityQueries", List.of(Map.of("name", "wrong", "sql", "select count(*) from t", "expect", "1")));
        assertThat(api.patch("/api/v1/clusters/" + CLUSTER, cluster).status()).isEqualTo(200);
        JsonNode insane = drill(api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB)).path("id").asString())
                .path("verification");
        assertThat(insane.path("status").asString()).isEqualTo("FAILED");
        assertThat(insane.path("detail").asString()).contains("sanity query 'wrong' returned 20000, expected 1");
        assertThat(pg.queryValue("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'pgvault_drill_%'"))
                .isEqualTo(0L);

        // the newest drill failed: the meter says so, and the measured RTO stays that of the newest passing drill
        deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        do {
            Api.sleep(200);
            metrics = api.get("/actuator/prometheus").body();
        } while (!metrics.contains("pgvault_drill_last_passed{cluster=\"" + CLUSTER + "\"} 0.0")
                && System.nanoTime() < deadline);
        assertThat(metrics).contains("pgvault_drill_last_passed{cluster=\"" + CLUSTER + "\"} 0.0");
        JsonNode stillMeasured = api.get("/api/v1/clusters/" + CLUSTER).json().path("measuredRto");
        assertThat(stillMeasured.path("backupId").asString()).isEqualTo(rto.path("backupId").asString());
        assertThat(stillMeasured.path("passed").asBoolean()).isTrue();
    }

    @Test
    void drillsItCannotRunAreRefused() {
        api.register(CLUSTER + "-x", pg);
        JsonNode all = api.backup(CLUSTER + "-x", Map.of("kind", "DUMP_ALL", "globalsOnly", true));
        Api.Response r = api.post("/api/v1/backups/" + all.path("id").asString() + "/verifications",
                Map.of("level", "RESTORE"));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("RESTORE drills are available for DUMP and BASE backups");
        JsonNode dump = api.backup(CLUSTER + "-x", Map.of("kind", "DUMP", "database", DB));
        assertThat(api.post("/api/v1/backups/" + dump.path("id").asString() + "/verifications",
                Map.of("level", "LIST", "drillCluster", CLUSTER)).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/backups/" + dump.path("id").asString() + "/verifications",
                Map.of("level", "RESTORE", "drillCluster", "nowhere")).status()).isEqualTo(404);
        assertThat(api.post("/api/v1/clusters", Map.of("name", "bad-sanity", "host", pg.host(), "port", pg.port(),
                "username", pg.superuser(), "sanityQueries", List.of(Map.of("name", "no sql")))).status())
                .isEqualTo(400);
    }

    /**
     * Waits until pg_dump or the row count waits for the test's lock: both read the snapshot pgvault exported, so
     * it is taken (the contents' own short lock waits come before it may be, and do not count).
     */
    private static void awaitSnapshotReader() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (((Number) pg.queryValue("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = ? "
                + "AND wait_event_type = 'Lock' AND (query ILIKE 'LOCK TABLE%' OR query ILIKE 'select count(*)%')",
                DB)).longValue() == 0) {
            assertThat(System.nanoTime()).as("pg_dump or the count waits for the lock").isLessThan(deadline);
            Api.sleep(50);
        }
    }

    private JsonNode drill(String backupId) {
        api.awaitVerification(backupId, Duration.ofMinutes(1));
        Api.Response r = api.post("/api/v1/backups/" + backupId + "/verifications", Map.of("level", "RESTORE"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        api.awaitJob(r.field("id"), Duration.ofMinutes(2));
        return api.get("/api/v1/backups/" + backupId).json();
    }
}
