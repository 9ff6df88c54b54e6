package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.TableFingerprint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

/**
 * Partitioned tables, inheritance children and tables with types of their own come back whole, through every
 * path that takes tables apart, with the real tools (pg_dump 15 has no --table-and-children). One cluster holds
 * every shape once: range partitions two levels deep (list below), default partitions, a partition in another
 * schema, hash partitions, an inheritance child in another schema, and a table whose enum, domain and default
 * function live in its own schema. Filtered DUMPs take whole trees and count their rows (their drill checks
 * them); restores and extractions of some tables bring the trees (a partition named alone comes alone), what the
 * tables need, and the source's exact rows, compared row for row; a difference rolls back and leaves nothing.
 * One scratch server serves every shape of the BASE path.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PartitionedTablesTests extends EndToEndTest {

    static final String CLUSTER = "parted";
    static final String DB = "parted";
    static final List<String> M_TREE = List.of("public.m_2024", "parts.m_2024_eu", "public.m_2024_other",
            "public.m_2025", "public.m_default");
    static final List<String> LEAVES = List.of("parts.m_2024_eu", "public.m_2024_other", "public.m_2025",
            "public.m_default", "public.h_0", "public.h_1", "public.h_2", "public.animals", "other.dogs", "app.t");

    PgCluster pg;
    JsonNode full;
    JsonNode base;
    Map<String, TableFingerprint> atBase;

    @Autowired
    JdbcTemplate catalog;

    @BeforeAll
    void everyShapeOnce() {
        api = new Api(port);
        pg = PgCluster.start("parted", Map.of("archive_mode", "on", "archive_command", "", "archive_timeout", "0"));
        api.register(CLUSTER, pg);
        api.archiveThroughPgvault(CLUSTER, pg);
        pg.createDatabase(DB);
        pg.execute(DB,
                "CREATE SCHEMA app", "CREATE SCHEMA parts", "CREATE SCHEMA other",
                "CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy')",
                "CREATE DOMAIN app.posint AS int CHECK (VALUE > 0)",
                "CREATE FUNCTION app.code() RETURNS text LANGUAGE sql AS $$ SELECT 'c-' || 1 $$",
                "CREATE TABLE app.t (id serial PRIMARY KEY, mood app.mood NOT NULL, n app.posint, "
                        + "code text DEFAULT app.code())",
                "INSERT INTO app.t (mood, n) SELECT (ARRAY['sad', 'ok', 'happy'])[1 + g % 3]::app.mood, g "
                        + "FROM generate_series(1, 300) g",
                "CREATE TABLE m (id int NOT NULL, d date NOT NULL, region text NOT NULL, v text, "
                        + "PRIMARY KEY (id, d, region)) PARTITION BY RANGE (d)",
                "CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') "
                        + "PARTITION BY LIST (region)",
                "CREATE TABLE parts.m_2024_eu PARTITION OF m_2024 FOR VALUES IN ('eu')",
                "CREATE TABLE m_2024_other PARTITION OF m_2024 DEFAULT",
                "CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                "CREATE TABLE m_default PARTITION OF m DEFAULT",
                "CREATE INDEX m_v ON m (v)",
                "INSERT INTO m SELECT g, date '2024-01-01' + g % 900, (ARRAY['eu', 'us', 'asia'])[1 + g % 3], "
                        + "'v' || g FROM generate_series(1, 3000) g",
                "CREATE TABLE h (id int PRIMARY KEY, note text) PARTITION BY HASH (id)",
                "CREATE TABLE h_0 PARTITION OF h FOR VALUES WITH (MODULUS 3, REMAINDER 0)",
                "CREATE TABLE h_1 PARTITION OF h FOR VALUES WITH (MODULUS 3, REMAINDER 1)",
                "CREATE TABLE h_2 PARTITION OF h FOR VALUES WITH (MODULUS 3, REMAINDER 2)",
                "INSERT INTO h SELECT g, 'h' || g FROM generate_series(1, 500) g",
                "CREATE TABLE animals (id int, name text)",
                "CREATE TABLE other.dogs (breed text) INHERITS (animals)",
                "INSERT INTO animals SELECT g, 'animal ' || g FROM generate_series(1, 40) g",
                "INSERT INTO other.dogs SELECT g, 'dog ' || g, 'breed ' || g % 4 FROM generate_series(41, 60) g",
                "CREATE TABLE parts.unrelated (x int)", "INSERT INTO parts.unrelated VALUES (1), (2)",
                "ANALYZE");
        full = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB));
        base = api.backup(CLUSTER, Map.of("kind", "BASE"));
        atBase = pg.fingerprints(DB);
        // after the BASE backup: what an extraction as of its end must not see
        pg.execute(DB, "DELETE FROM m WHERE region = 'eu'", "UPDATE h SET note = 'later' WHERE id < 50",
                "DELETE FROM app.t WHERE id > 200", "INSERT INTO other.dogs VALUES (99, 'late dog', 'x')");
        String last = pg.switchWal();
        api.awaitLastSegment(CLUSTER, last, pg);
    }

    @AfterAll
    void cleanUp() {
        if (pg != null) {
            pg.close();
        }
    }

    private String id(JsonNode backup) {
        return backup.path("id").asString();
    }

    private static List<String> tablesOf(JsonNode contents) {
        List<String> names = new ArrayList<>();
        for (JsonNode db : contents.path("databases")) {
            for (JsonNode s : db.path("schemas")) {
                for (JsonNode t : s.path("tables")) {
                    names.add(s.path("name").asString() + "." + t.path("name").asString());
                }
            }
        }
        return names;
    }

    private static JsonNode table(JsonNode contents, String schema, String name) {
        for (JsonNode s : contents.path("databases").get(0).path("schemas")) {
            for (JsonNode t : s.path("tables")) {
                if (s.path("name").asString().equals(schema) && t.path("name").asString().equals(name)) {
                    return t;
                }
            }
        }
        throw new AssertionError("no table " + schema + "." + name + " in " + contents);
    }

    /** The fingerprints of {@code tables} in {@code db} equal the source's at the BASE backup (or now). */
    private void sameRows(String db, List<String> tables, Map<String, TableFingerprint> source, String intoSchema) {
        Map<String, TableFingerprint> restored = pg.fingerprints(db);
        for (String t : tables) {
            String as = intoSchema == null ? t : intoSchema + "." + t.substring(t.indexOf('.') + 1);
            assertThat(restored.get(as)).as("%s restored as %s in %s", t, as, db).isNotNull()
                    .isEqualTo(source.get(t));
        }
    }

    @Test
    @Order(1)
    void aDumpOfNamedTablesTakesTheirWholeTreesAndCountsTheirRowsForItsDrill() {
        JsonNode dump = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB,
                "tables", List.of("public.m", "animals", "h")));
        List<String> held = tablesOf(api.get("/api/v1/backups/" + id(dump) + "/contents").json());
        assertThat(held).containsAll(M_TREE).contains("public.m", "public.h", "public.h_0", "public.h_1",
                "public.h_2", "public.animals", "other.dogs").doesNotContain("app.t", "parts.unrelated");
        assertThat(api.get("/api/v1/jobs/" + dump.path("jobId").asString() + "/log").body())
                .contains("come with the named tables").contains("counted the rows of 9 table(s)");

        api.awaitVerification(id(dump), Duration.ofMinutes(1));
        Api.Response r = api.post("/api/v1/backups/" + id(dump) + "/verifications", Map.of("level", "RESTORE"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        api.awaitJob(r.field("id"), Duration.ofMinutes(2));
        JsonNode drilled = api.get("/api/v1/backups/" + id(dump)).json().path("verification");
        assertThat(drilled.path("status").asString()).as(drilled.toString()).isEqualTo("PASSED");
        assertThat(drilled.path("detail").asString()).contains("row counts of 9 table(s) match the source");

        // such a dump holds no schemas: a restore or an extraction of some of its tables makes them. It was taken
        // after the changes that followed the BASE backup: it holds the source as it is now
        Map<String, TableFingerprint> now = pg.fingerprints(DB);
        api.restore(id(dump), Map.of("targetDatabase", "from_filtered", "createDatabase", true,
                "tables", List.of("animals")));
        sameRows("from_filtered", List.of("public.animals", "other.dogs"), now, null);
        Api.Response e = api.post("/api/v1/clusters/" + CLUSTER + "/extractions", Map.of("backupId", id(dump),
                "tables", List.of("public.m"), "into", Map.of("database", "extracted_filtered")));
        assertThat(e.status()).as(e.body()).isEqualTo(202);
        api.awaitSucceeded(e.field("id"));
        sameRows("extracted_filtered", M_TREE, now, null);
    }

    @Test
    @Order(1)
    void excludingAPartitionedTableLeavesItsWholeTreeAndASchemaTakesTreesReachingOutOfIt() {
        JsonNode without = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB, "excludeTables",
                List.of("public.m")));
        List<String> held = tablesOf(api.get("/api/v1/backups/" + id(without) + "/contents").json());
        assertThat(held).doesNotContainAnyElementsOf(M_TREE).doesNotContain("public.m")
                .contains("public.h_0", "app.t", "parts.unrelated");

        JsonNode publicOnly = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB, "schemas",
                List.of("public")));
        held = tablesOf(api.get("/api/v1/backups/" + id(publicOnly) + "/contents").json());
        assertThat(held).containsAll(M_TREE).contains("other.dogs").doesNotContain("parts.unrelated", "app.t");
    }

    @Test
    @Order(1)
    void contentsShowPartitionedTablesAsTreesWithRowsPerPartition() {
        JsonNode contents = api.get("/api/v1/backups/" + id(full) + "/contents").json();
        JsonNode m = table(contents, "public", "m");
        assertThat(m.path("kind").asString()).isEqualTo("partitioned table");
        assertThat(m.path("rows").asLong()).isEqualTo(3000);
        JsonNode partitions = m.path("partitions");
        assertThat(partitions).extracting(p -> p.path("table").asString())
                .containsExactlyInAnyOrder("public.m_2024", "public.m_2025", "public.m_default");
        JsonNode m2024 = StreamSupport.stream(partitions.spliterator(), false)
                .filter(p -> p.path("table").asString().equals("public.m_2024")).findFirst().orElseThrow();
        assertThat(m2024.path("partitionBound").asString()).contains("FOR VALUES FROM ('2024-01-01')");
        assertThat(m2024.path("partitions")).extracting(p -> p.path("table").asString())
                .containsExactlyInAnyOrder("parts.m_2024_eu", "public.m_2024_other");
        long sum = 0;
        for (JsonNode p : m2024.path("partitions")) {
            sum += p.path("rows").asLong();
            assertThat(p.path("rows").asLong()).isPositive();
            assertThat(p.path("rowEstimate").asLong()).isEqualTo(p.path("rows").asLong());
        }
        assertThat(m2024.path("rows").asLong()).isEqualTo(sum);
        JsonNode eu = table(contents, "parts", "m_2024_eu");
        assertThat(eu.path("partitionOf").asString()).isEqualTo("public.m_2024");
        assertThat(eu.path("partitionBound").asString()).isEqualTo("FOR VALUES IN ('eu')");
        assertThat(table(contents, "other", "dogs").path("partitionOf").asString()).isEqualTo("public.animals");
        assertThat(table(contents, "public", "animals").path("partitions").get(0).path("partitionBound")
                .asString(null)).isNull();
    }

    @Test
    @Order(2)
    void aRestoreOfSomeTablesBringsTheirTreesWhatTheyNeedAndTheSourceRows() {
        String target = "restored_trees";
        JsonNode done = api.restore(id(full), Map.of("targetDatabase", target, "createDatabase", true,
                "tables", List.of("m", "h", "animals", "app.t")));
        JsonNode result = done.path("result");
        assertThat(result.path("tables")).hasSize(13);
        for (JsonNode t : result.path("tables")) {
            if (t.path("kind").asString().equals("table")) {
                assertThat(t.path("rows").asLong()).as(t.toString()).isEqualTo(t.path("expectedRows").asLong());
            }
        }
        assertThat(result.path("broughtAlong").toString()).contains("schema app", "type app.mood",
                "domain app.posint", "function app.code()", "schema parts", "schema other");
        Map<String, TableFingerprint> source = fingerprintsAtBase();
        sameRows(target, LEAVES, source, null);
        assertThat(pg.query(target, "SELECT indexrelid::regclass::text AS i FROM pg_index "
                + "WHERE indrelid = 'public.m_2025'::regclass ORDER BY 1")).extracting(row -> row.get("i"))
                .containsExactly("m_2025_pkey", "m_2025_v_idx");
        assertThat(pg.queryValue(target, "SELECT count(*) FROM m")).isEqualTo(3000L);
        assertThat(pg.queryValue(target, "SELECT relispartition FROM pg_class WHERE oid = 'parts.m_2024_eu'::regclass"))
                .isEqualTo(true);
        assertThat(pg.queryValue(target, "SELECT nextval('app.t_id_seq')")).isEqualTo(301L);
    }

    /** The source as the full DUMP and the BASE backup saw it. */
    private Map<String, TableFingerprint> fingerprintsAtBase() {
        return atBase;
    }

    @Test
    @Order(2)
    void aPartitionNamedAloneComesAloneAndTheAnswerSaysWhatItIs() {
        String target = "one_partition";
        JsonNode result = api.restore(id(full), Map.of("targetDatabase", target, "createDatabase", true,
                "tables", List.of("public.m_2025"))).path("result");
        JsonNode t = result.path("tables").get(0);
        assertThat(result.path("tables")).hasSize(1);
        assertThat(t.path("partitionOf").asString()).isEqualTo("public.m");
        assertThat(t.path("partitionBound").asString()).startsWith("FOR VALUES FROM ('2025-01-01')");
        assertThat(t.path("attached").asBoolean()).isFalse();
        sameRows(target, List.of("public.m_2025"), atBase, null);
        assertThat(pg.queryValue(target, "SELECT relispartition FROM pg_class WHERE oid = 'public.m_2025'::regclass"))
                .isEqualTo(false);
    }

    @Test
    @Order(3)
    void whatATableNeedsAndTheBackupLacksIsRefusedUpFrontNamingEachObject() {
        JsonNode onlyT = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB, "tables", List.of("app.t")));
        long jobs = api.jobCount();
        Api.Response refused = api.post("/api/v1/backups/" + id(onlyT) + "/restores", Map.of("targetDatabase",
                "needs_types", "createDatabase", true, "tables", List.of("app.t")));
        assertThat(refused.status()).as(refused.body()).isEqualTo(409);
        assertThat(refused.body()).contains("type app.mood", "domain app.posint", "function app.code()",
                "needed by app.t");
        Api.Response extraction = api.post("/api/v1/clusters/" + CLUSTER + "/extractions", Map.of("backupId",
                id(onlyT), "tables", List.of("app.t"), "into", Map.of("database", "needs_types")));
        assertThat(extraction.status()).as(extraction.body()).isEqualTo(409);
        assertThat(extraction.body()).contains("type app.mood");
        Api.Response unknown = api.post("/api/v1/backups/" + id(full) + "/restores", Map.of("targetDatabase",
                "x", "createDatabase", true, "tables", List.of("public.m_2052")));
        assertThat(unknown.status()).as(unknown.body()).isEqualTo(400);
        assertThat(unknown.body()).contains("no table public.m_2052").contains("public.m_2025");
        assertThat(api.jobCount()).isEqualTo(jobs);
        assertThat(pg.databaseExists("needs_types")).isFalse();
    }

    @Test
    @Order(4)
    void aRestoreThatComesBackShortFailsNamingTheTableAndLeavesNothing() {
        UUID backup = UUID.fromString(id(full));
        Long recorded = catalog.queryForObject("select row_count from backup_table_rows where backup_id = ? "
                + "and schema_name = 'public' and table_name = 'm_2025'", Long.class, backup);
        catalog.update("update backup_table_rows set row_count = ? where backup_id = ? and schema_name = 'public' "
                + "and table_name = 'm_2025'", recorded + 1, backup);
        try {
            Api.Response r = api.post("/api/v1/backups/" + backup + "/restores", Map.of("targetDatabase", "short",
                    "createDatabase", true, "tables", List.of("m")));
            assertThat(r.status()).as(r.body()).isEqualTo(202);
            JsonNode failed = api.awaitJob(r.field("id"), Duration.ofMinutes(2));
            assertThat(failed.path("status").asString()).isEqualTo("FAILED");
            assertThat(failed.path("error").asString()).contains("public.m_2025 has " + recorded
                    + " row(s), the source had " + (recorded + 1));
            assertThat(pg.databaseExists("short")).as("the database the restore created").isFalse();

            Api.Response e = api.post("/api/v1/clusters/" + CLUSTER + "/extractions", Map.of("backupId",
                    backup.toString(), "tables", List.of("public.m"), "into", Map.of("schema", "short_m")));
            assertThat(e.status()).as(e.body()).isEqualTo(202);
            JsonNode extraction = api.awaitJob(e.field("id"), Duration.ofMinutes(2));
            assertThat(extraction.path("status").asString()).isEqualTo("FAILED");
            assertThat(extraction.path("error").asString()).contains("short_m.m_2025 has " + recorded
                    + " row(s), the source had " + (recorded + 1));
            assertThat(pg.queryValue(DB, "SELECT count(*) FROM pg_namespace WHERE nspname = 'short_m'"))
                    .as("the schema the extraction created").isEqualTo(0L);
        } finally {
            catalog.update("update backup_table_rows set row_count = ? where backup_id = ? and schema_name = "
                    + "'public' and table_name = 'm_2025'", recorded, backup);
        }
    }

    @Test
    @Order(5)
    void anExtractionFromADumpBringsTreesAndTypesIntoAnotherDatabase() {
        JsonNode preview = api.post("/api/v1/clusters/" + CLUSTER + "/extractions/preview", Map.of("backupId",
                id(full), "tables", List.of("public.m", "app.t"), "into", Map.of("database", "from_dump"))).json();
        JsonNode m = preview.path("selection").get(0);
        assertThat(m.path("table").asString()).isEqualTo("public.m");
        assertThat(m.path("rows").asLong()).isEqualTo(3000);
        assertThat(m.path("partitions")).hasSize(3);

        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/extractions", Map.of("backupId", id(full),
                "tables", List.of("public.m", "app.t"), "into", Map.of("database", "from_dump")));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode result = api.awaitSucceeded(r.field("id")).path("result");
        assertThat(result.path("tables")).hasSize(7);
        assertThat(result.path("broughtAlong").toString()).contains("type app.mood", "domain app.posint");
        List<String> tables = new ArrayList<>(M_TREE);
        tables.add("app.t");
        sameRows("from_dump", tables, atBase, null);
        assertThat(pg.queryValue("from_dump", "SELECT count(*) FROM m")).isEqualTo(3000L);
    }

    @Test
    @Order(5)
    void aSchemaTakesTheTreesOfItsTablesIntoOtherSchemas() {
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/extractions", Map.of("backupId", id(full),
                "schemas", List.of("public"), "into", Map.of("database", "from_schema")));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode result = api.awaitSucceeded(r.field("id")).path("result");
        assertThat(result.path("broughtAlong").toString()).contains("schema parts", "schema other");
        sameRows("from_schema", List.of("parts.m_2024_eu", "public.m_2024_other", "public.m_2025",
                "public.m_default", "public.h_0", "public.h_1", "public.h_2", "public.animals", "other.dogs"),
                atBase, null);
        assertThat(pg.fingerprints("from_schema")).doesNotContainKeys("parts.unrelated", "app.t");
    }

    @Test
    @Order(6)
    void anExtractionFromABaseBackupTakesEveryShapeAsOfItsTargetThroughOneScratchServer() {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("backupId", id(base));
        request.put("database", DB);
        request.put("tables", List.of("public.m", "animals", "app.t", "public.h_1"));
        request.put("into", Map.of("database", "from_base"));
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/extractions", request);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode result = api.awaitSucceeded(r.field("id")).path("result");
        assertThat(result.path("source").asString()).isEqualTo("BASE");
        List<String> tables = new ArrayList<>(M_TREE);
        tables.addAll(List.of("public.animals", "other.dogs", "app.t", "public.h_1"));
        sameRows("from_base", tables, atBase, null);
        JsonNode h1 = StreamSupport.stream(result.path("tables").spliterator(), false)
                .filter(t -> t.path("table").asString().equals("public.h_1")).findFirst().orElseThrow();
        assertThat(h1.path("partitionOf").asString()).isEqualTo("public.h");
        assertThat(h1.path("attached").asBoolean()).isFalse();
        assertThat(h1.path("named").asBoolean()).isTrue();
        JsonNode eu = StreamSupport.stream(result.path("tables").spliterator(), false)
                .filter(t -> t.path("table").asString().equals("parts.m_2024_eu")).findFirst().orElseThrow();
        assertThat(eu.path("attached").asBoolean()).isTrue();
        assertThat(eu.path("named").asBoolean()).isFalse();
        assertThat(eu.path("rows").asLong()).isPositive().isEqualTo(eu.path("expectedRows").asLong());
        assertThat(pg.queryValue("from_base", "SELECT count(*) FROM animals")).isEqualTo(60L);
        assertThat(pg.queryValue("from_base", "SELECT relispartition FROM pg_class WHERE oid = 'h_1'::regclass"))
                .isEqualTo(false);
        // the live parent never got the recovered partition
        assertThat(pg.queryValue(DB, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.h'::regclass"))
                .isEqualTo(3L);
    }
}
