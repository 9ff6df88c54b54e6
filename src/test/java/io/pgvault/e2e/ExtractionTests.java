package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.TableFingerprint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * Table- and database-level recovery with the real tools: a cluster archives its WAL through pgvault, takes a
 * BASE and a DUMP backup, then loses a table to a DROP and half a table to a DELETE. Extractions bring each back
 * next to the live data, move a whole database to another cluster, take one table out of the DUMP, refuse bad
 * requests before anything starts, and never leave their scratch server behind (failed or cancelled).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExtractionTests extends EndToEndTest {

    static final String CLUSTER = "extract";
    static final String OTHER = "extract-other";
    static final String DB = "shop";

    PgCluster pg;
    PgCluster other;
    JsonNode base;
    JsonNode dump;
    TableFingerprint ordersBeforeDrop;
    TableFingerprint customersBeforeDelete;
    String beforeDrop;
    String beforeDelete;

    @BeforeAll
    void clusterWithMistakes() throws Exception {
        api = new Api(port);
        pg = PgCluster.start("extract", Map.of("archive_mode", "on", "archive_command", "", "archive_timeout", "0"));
        other = PgCluster.start("extract-other");
        api.register(CLUSTER, pg);
        api.register(OTHER, other);
        api.archiveThroughPgvault(CLUSTER, pg);
        pg.createDatabase(DB);
        pg.execute(DB,
                "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL)",
                "CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, "
                        + "amount numeric(10,2) NOT NULL CHECK (amount > 0), note text)",
                "CREATE INDEX orders_customer ON orders (customer_id)",
                "INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 50) g",
                "INSERT INTO orders (customer_id, amount, note) SELECT 1 + g % 50, g * 1.5, 'order ' || g "
                        + "FROM generate_series(1, 200) g",
                "ANALYZE");
        base = api.backup(CLUSTER, Map.of("kind", "BASE"));
        dump = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB, "format", "CUSTOM"));
        pg.execute(DB, "INSERT INTO orders (customer_id, amount, note) SELECT 1 + g % 50, g, 'later ' || g "
                + "FROM generate_series(1, 100) g");
        ordersBeforeDrop = pg.fingerprints(DB).get("public.orders");
        beforeDrop = now();
        Api.sleep(1100);
        pg.execute(DB, "DROP TABLE orders");
        Api.sleep(1500);
        customersBeforeDelete = pg.fingerprints(DB).get("public.customers");
        beforeDelete = now();
        Api.sleep(1100);
        pg.execute(DB, "DELETE FROM customers WHERE id % 2 = 0");
        pg.execute(DB, "CREATE TABLE late (id int)", "CREATE SCHEMA taken", "CREATE TABLE taken.customers (id int)");
        String last = pg.switchWal();
        api.awaitLastSegment(CLUSTER, last, pg);
    }

    @AfterAll
    void cleanUp() {
        if (pg != null) {
            pg.close();
        }
        if (other != null) {
            other.close();
        }
    }

    private String now() {
        return (String) pg.queryValue("postgres",
                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    }

    private static String minusOneSecond(String time) {
        return OffsetDateTime.parse(time).minusSeconds(1).toString();
    }

    private JsonNode extract(Map<String, ?> request) {
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/extractions", request);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().path("type").asString()).isEqualTo("EXTRACTION");
        JsonNode done = api.awaitSucceeded(r.json().path("id").asString());
        assertNoScratchLeft();
        return done.path("result");
    }

    private static void assertNoScratchLeft() {
        Path drills = PgCluster.recoveryRoot().resolve("drills");
        if (!Files.exists(drills)) {
            return;
        }
        try (Stream<Path> children = Files.list(drills)) {
            assertThat(children.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("extract-")))
                    .as("scratch servers left below %s", drills).isEmpty();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<String> scratchDatabases(PgCluster cluster) {
        List<String> names = new ArrayList<>();
        cluster.query("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'pgvault_extract_%'")
                .forEach(row -> names.add((String) row.get("datname")));
        return names;
    }

    private static Map<String, Object> body(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    @Test
    @Order(1)
    void aBackupListsItsDatabasesSchemasAndTables() {
        JsonNode contents = api.get("/api/v1/backups/" + base.path("id").asString() + "/contents").json();
        assertThat(contents.path("kind").asString()).isEqualTo("BASE");
        assertThat(contents.path("recordedFrom").asString()).contains("catalogs when the backup started");
        JsonNode shop = null;
        for (JsonNode db : contents.path("databases")) {
            if (db.path("name").asString().equals(DB)) {
                shop = db;
            }
        }
        assertThat(shop).as(contents.toString()).isNotNull();
        assertThat(shop.path("sizeBytes").asLong()).isPositive();
        JsonNode orders = table(shop, "public", "orders");
        assertThat(orders.path("kind").asString()).isEqualTo("table");
        assertThat(orders.path("rowEstimate").asLong()).isEqualTo(200);
        assertThat(orders.path("sizeBytes").asLong()).isPositive();

        JsonNode fromDump = api.get("/api/v1/backups/" + dump.path("id").asString() + "/contents").json();
        assertThat(fromDump.path("kind").asString()).isEqualTo("DUMP");
        assertThat(fromDump.path("recordedFrom").asString()).contains("table of contents");
        assertThat(fromDump.path("databases")).hasSize(1);
        assertThat(table(fromDump.path("databases").get(0), "public", "customers").path("rowEstimate").asLong())
                .isEqualTo(50);
    }

    private static JsonNode table(JsonNode database, String schema, String name) {
        for (JsonNode s : database.path("schemas")) {
            if (s.path("name").asString().equals(schema)) {
                for (JsonNode t : s.path("tables")) {
                    if (t.path("name").asString().equals(name)) {
                        return t;
                    }
                }
            }
        }
        throw new AssertionError("no table " + schema + "." + name + " in " + database);
    }

    @Test
    @Order(2)
    void aDroppedTableComesBackIntoANewSchemaWithItsRowsIndexesConstraintsAndSequence() {
        JsonNode result = extract(body("target", Map.of("time", beforeDrop), "database", DB,
                "tables", List.of("public.orders")));
        String schema = result.path("into").path("schema").asString();
        assertThat(schema).startsWith("pgvault_recovered_");
        assertThat(result.path("source").asString()).isEqualTo("BASE");
        assertThat(result.path("backupId").asString()).isEqualTo(base.path("id").asString());
        assertThat(result.path("recoveredLsn").asString()).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(result.path("recoveredTime").asString()).isNotEmpty();
        assertThat(result.path("tables")).hasSize(1);
        assertThat(result.path("tables").get(0).path("table").asString()).isEqualTo("public.orders");
        assertThat(result.path("tables").get(0).path("restoredAs").asString()).isEqualTo(schema + ".orders");
        assertThat(result.path("tables").get(0).path("rows").asLong()).isEqualTo(300);
        assertThat(result.path("droppedForeignKeys").toString()).contains("orders_customer_id_fkey")
                .contains("public.customers");
        assertThat(result.path("seconds").path("total").asDouble()).isPositive();

        assertThat(pg.fingerprints(DB).get(schema + ".orders")).isEqualTo(ordersBeforeDrop);
        assertThat(pg.query(DB, "SELECT indexname FROM pg_indexes WHERE schemaname = ? ORDER BY 1", schema))
                .extracting(row -> row.get("indexname")).containsExactly("orders_customer", "orders_pkey");
        assertThat(pg.query(DB, "SELECT contype FROM pg_constraint WHERE conrelid = to_regclass(?) ORDER BY 1",
                schema + ".orders")).extracting(row -> row.get("contype").toString()).contains("c", "p")
                .doesNotContain("f");
        // the owned sequence came along with its value: the next id follows the recovered ones (PostgreSQL logs a
        // sequence 32 values ahead, so a recovered one may skip up to 32 of them, never go back)
        assertThat(((Number) pg.queryValue(DB, "SELECT nextval(?)", schema + ".orders_id_seq")).longValue())
                .isBetween(301L, 333L);
        // live data is untouched
        assertThat(pg.queryValue(DB, "SELECT to_regclass('public.orders')")).isNull();
    }

    @Test
    @Order(3)
    void rowsDeletedByMistakeComeBackAsACopyNextToTheLiveTable() {
        JsonNode result = extract(body("target", Map.of("time", minusOneSecond(beforeDelete)), "database", DB,
                "tables", List.of("customers"), "into", Map.of("schema", "before_delete"), "compare", true));
        JsonNode table = result.path("tables").get(0);
        assertThat(table.path("restoredAs").asString()).isEqualTo("before_delete.customers");
        assertThat(table.path("rows").asLong()).isEqualTo(50);
        assertThat(table.path("liveRows").asLong()).isEqualTo(25);
        assertThat(pg.fingerprints(DB).get("before_delete.customers")).isEqualTo(customersBeforeDelete);
        assertThat(pg.queryValue(DB, "SELECT count(*) FROM public.customers")).isEqualTo(25L);
        // with the copy next to the live table, the lost rows are one statement away
        pg.execute(DB, "INSERT INTO public.customers SELECT * FROM before_delete.customers b "
                + "WHERE NOT EXISTS (SELECT 1 FROM public.customers c WHERE c.id = b.id)");
        assertThat(pg.fingerprints(DB).get("public.customers")).isEqualTo(customersBeforeDelete);
    }

    @Test
    @Order(4)
    void aWholeDatabaseComesBackUnderANewNameOnAnotherCluster() {
        JsonNode result = extract(body("target", Map.of("time", beforeDrop), "database", DB,
                "into", Map.of("cluster", OTHER, "database", "shop_copy")));
        assertThat(result.path("into").path("schema").asString(null)).isNull();
        assertThat(other.databaseExists("shop_copy")).isTrue();
        Map<String, TableFingerprint> copied = other.fingerprints("shop_copy");
        assertThat(copied.get("public.orders")).isEqualTo(ordersBeforeDrop);
        assertThat(copied.get("public.customers").rows()).isEqualTo(50);
        // within a whole database, foreign keys stay
        assertThat(result.path("droppedForeignKeys")).isEmpty();
        assertThat(other.queryValue("shop_copy", "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"))
                .isEqualTo(1L);
    }

    @Test
    @Order(5)
    void aTableComesOutOfADumpBackup() {
        JsonNode result = extract(body("backupId", dump.path("id").asString(), "tables", List.of("public.orders"),
                "into", Map.of("schema", "from_dump")));
        assertThat(result.path("source").asString()).isEqualTo("DUMP");
        assertThat(result.path("tables").get(0).path("rows").asLong()).isEqualTo(200);
        assertThat(pg.queryValue(DB, "SELECT count(*) FROM from_dump.orders")).isEqualTo(200L);
        assertThat(pg.query(DB, "SELECT indexname FROM pg_indexes WHERE schemaname = 'from_dump' ORDER BY 1"))
                .extracting(row -> row.get("indexname")).containsExactly("orders_customer", "orders_pkey");
        assertThat(scratchDatabases(pg)).isEmpty();
    }

    @Test
    @Order(5)
    void aWholeSchemaComesOutOfADumpUnderANewNameWithItsForeignKeys() {
        JsonNode result = extract(body("backupId", dump.path("id").asString(), "schemas", List.of("public"),
                "into", Map.of("schema", "dump_public")));
        assertThat(result.path("tables")).extracting(t -> t.path("restoredAs").asString())
                .containsExactly("dump_public.customers", "dump_public.orders");
        assertThat(pg.queryValue(DB, "SELECT count(*) FROM dump_public.customers")).isEqualTo(50L);
        assertThat(pg.queryValue(DB, "SELECT count(*) FROM dump_public.orders")).isEqualTo(200L);
        // both ends of the foreign key were extracted: it stays, pointing into the new schema
        assertThat(result.path("droppedForeignKeys")).isEmpty();
        assertThat(pg.queryValue(DB, "SELECT confrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
                + "AND conrelid = 'dump_public.orders'::regclass")).isEqualTo("dump_public.customers");
        assertThat(scratchDatabases(pg)).isEmpty();
    }

    @Test
    @Order(6)
    void badRequestsAreRefusedBeforeAnythingStarts() {
        long jobs = api.jobCount();
        String path = "/api/v1/clusters/" + CLUSTER + "/extractions";
        // before the oldest BASE backup: outside the recovery window
        Api.Response early = api.post(path, body("target", Map.of("time", OffsetDateTime.parse(base.path("startedAt")
                .asString()).minusHours(1).toString()), "database", DB, "tables", List.of("public.orders")));
        assertThat(early.status()).as(early.body()).isEqualTo(400);
        assertThat(early.contentType()).startsWith("application/problem+json");
        assertThat(early.body()).contains("before the end of the oldest BASE backup");

        Api.Response typo = api.post(path, body("target", Map.of("time", beforeDrop), "database", DB,
                "tables", List.of("public.ordrs")));
        assertThat(typo.status()).as(typo.body()).isEqualTo(400);
        assertThat(typo.body()).contains("no table public.ordrs").contains("did you mean public.orders");

        Api.Response noDatabase = api.post(path, body("target", Map.of("time", beforeDrop), "database", "shp",
                "tables", List.of("public.orders")));
        assertThat(noDatabase.status()).as(noDatabase.body()).isEqualTo(400);
        assertThat(noDatabase.body()).contains("did you mean shop");

        Api.Response clash = api.post(path, body("target", Map.of("time", beforeDrop), "database", DB,
                "tables", List.of("public.customers"), "into", Map.of("schema", "taken")));
        assertThat(clash.status()).as(clash.body()).isEqualTo(409);
        assertThat(clash.body()).contains("taken.customers").contains("replace");

        Api.Response unknownCluster = api.post(path, body("target", Map.of("time", beforeDrop), "database", DB,
                "tables", List.of("public.orders"), "into", Map.of("cluster", "extract-othr")));
        assertThat(unknownCluster.status()).as(unknownCluster.body()).isEqualTo(400);
        assertThat(unknownCluster.body()).contains("did you mean " + OTHER);

        Api viewer = api.as(token("extract-viewer", "VIEWER"));
        assertThat(viewer.post(path, body("target", Map.of("time", beforeDrop), "database", DB,
                "tables", List.of("public.orders"))).status()).isEqualTo(403);
        Api operator = api.as(token("extract-operator", "OPERATOR"));
        Api.Response replace = operator.post(path, body("target", Map.of("time", beforeDrop), "database", DB,
                "tables", List.of("public.customers"), "into", Map.of("schema", "taken"), "replace", true));
        assertThat(replace.status()).as(replace.body()).isEqualTo(403);

        // never into a database every later one is made from (template1), nor the tools' first one, by accident
        for (String system : List.of("template0", "template1", "postgres")) {
            Api.Response refused = operator.post(path, body("target", Map.of("time", beforeDrop), "database", DB,
                    "tables", List.of("public.orders"), "into", Map.of("database", system)));
            assertThat(refused.status()).as(refused.body()).isEqualTo(400);
            assertThat(refused.json().path("errors").path(0).path("field").asString()).isEqualTo("into.database");
            assertThat(refused.body()).contains(system).contains("allowSystemDatabase");
        }
        Map<String, Object> intoTemplate = body("target", Map.of("time", beforeDrop), "database", DB,
                "tables", List.of("public.orders"), "into", Map.of("database", "template1", "schema", "recovered"),
                "allowSystemDatabase", true);
        Api.Response operatorAllowed = operator.post(path + "/preview", intoTemplate);
        assertThat(operatorAllowed.status()).as(operatorAllowed.body()).isEqualTo(403);
        assertThat(operatorAllowed.field("detail")).contains("ADMIN");
        Api.Response adminAllowed = api.post(path + "/preview", intoTemplate);
        assertThat(adminAllowed.status()).as(adminAllowed.body()).isEqualTo(200);
        assertThat(adminAllowed.json().path("intoDatabase").asString()).isEqualTo("template1");
        assertThat(api.jobCount()).as("no job was queued").isEqualTo(jobs);
    }

    private String token(String name, String role) {
        Api.Response created = api.post("/api/v1/tokens", Map.of("name", name + "-" + System.nanoTime(), "role", role));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.field("token");
    }

    @Test
    @Order(7)
    void aDryRunTellsWhichBackupAndWalWouldBeUsedWithoutAJob() {
        long jobs = api.jobCount();
        Map<String, Object> request = body("target", Map.of("time", beforeDrop), "database", DB,
                "tables", List.of("public.orders"), "dryRun", true);
        Api.Response preview = api.post("/api/v1/clusters/" + CLUSTER + "/extractions", request);
        assertThat(preview.status()).as(preview.body()).isEqualTo(200);
        JsonNode p = preview.json();
        assertThat(p.path("source").asString()).isEqualTo("BASE");
        assertThat(p.path("backupId").asString()).isEqualTo(base.path("id").asString());
        assertThat(p.path("walFrom").asString()).matches("[0-9A-F]{24}");
        assertThat(p.path("walTo").asString()).matches("[0-9A-F]{24}");
        // an earlier extraction to the same point took the default name: this one gets the next
        assertThat(p.path("intoSchema").asString()).startsWith("pgvault_recovered_").endsWith("_2");
        assertThat(p.path("createSchema").asBoolean()).isTrue();
        assertThat(p.path("expectedFrom").asString()).isNotEmpty();
        Api.Response same = api.post("/api/v1/clusters/" + CLUSTER + "/extractions/preview", request);
        assertThat(same.status()).as(same.body()).isEqualTo(200);
        assertThat(same.json().path("walTo").asString()).isEqualTo(p.path("walTo").asString());
        assertThat(api.jobCount()).isEqualTo(jobs);
    }

    @Test
    @Order(8)
    void aFailedExtractionRemovesItsScratchServer() {
        // "late" exists now (so the request passes) but not at the target: the job finds out in the scratch copy
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/extractions", body("target",
                Map.of("time", beforeDrop), "database", DB, "tables", List.of("public.late")));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode done = api.awaitJob(r.json().path("id").asString(), Duration.ofMinutes(3));
        assertThat(done.path("status").asString()).isEqualTo("FAILED");
        assertThat(done.path("error").asString()).contains("public.late does not exist");
        assertThat(api.get("/api/v1/jobs/" + done.path("id").asString() + "/log").body())
                .contains("removed the scratch server");
        assertNoScratchLeft();
        assertThat(pg.query(DB, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pgvault_recovered_%'"))
                .as("only the schema of the extraction that succeeded").hasSize(1);
    }

    @Test
    @Order(9)
    void aCancelledExtractionRemovesItsScratchServerAndWritesNothing() throws Exception {
        // the restore into taken.customers waits for the lock this test holds, with the scratch server up
        try (Connection c = pg.connect(DB); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("LOCK TABLE taken.customers IN ACCESS EXCLUSIVE MODE");
            Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/extractions", body("target",
                    Map.of("time", beforeDrop), "database", DB, "tables", List.of("public.customers"),
                    "into", Map.of("schema", "taken"), "replace", true));
            assertThat(r.status()).as(r.body()).isEqualTo(202);
            String id = r.json().path("id").asString();
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (((Number) pg.queryValue("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = ? "
                    + "AND wait_event_type = 'Lock'", DB)).longValue() == 0) {
                assertThat(System.nanoTime()).as("the extraction's restore never waited for the lock: %s",
                        api.get("/api/v1/jobs/" + id).body()).isLessThan(deadline);
                Api.sleep(100);
            }
            assertThat(PgCluster.recoveryRoot().resolve("drills").resolve("extract-" + id)).isDirectory();
            assertThat(api.post("/api/v1/jobs/" + id + "/cancel", "").status()).isEqualTo(200);
            JsonNode done = api.awaitJob(id, Duration.ofMinutes(1));
            assertThat(done.path("status").asString()).isEqualTo("CANCELLED");
            c.rollback();
        }
        assertNoScratchLeft();
        assertThat(pg.queryValue(DB, "SELECT count(*) FROM taken.customers")).isEqualTo(0L);
        assertThat(pg.query(DB, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'taken' "
                + "AND table_name = 'customers'")).hasSize(1);
        assertThat(Set.copyOf(scratchDatabases(pg))).isEmpty();
    }
}
