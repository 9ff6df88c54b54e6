package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /clusters/{name}/check} tells what the server has in effect: archive_mode off (and set but not
 * yet restarted) under walArchive PUSH, an archive_command that PostgreSQL shows as (disabled), an archiver
 * failing on pgvault's 401 for a wrong archive token, named by WAL file, a command that pushes to another
 * cluster, wal_level minimal, a role without REPLICATION; and all archive items pass for a cluster that
 * archives into pgvault. One server for the whole class, changed with ALTER SYSTEM, reloads and two restarts,
 * in the order below.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterCheckTests extends EndToEndTest {

    static final String CLUSTER = "checked";
    static PgCluster pg;

    @BeforeAll
    static void start() {
        pg = PgCluster.start("check");
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @Test
    @Order(1)
    void archiveModeOffUnderPushFailsWithTheRestartAndTheCommandIsDisabledNotSet() {
        register(CLUSTER, pg.superuser());
        api.archiveThroughPgvault(CLUSTER, pg);

        JsonNode check = check(CLUSTER);
        assertThat(check.path("ok").asBoolean()).isFalse();
        JsonNode mode = item(check, "archive-mode");
        assertThat(mode.path("ok").asBoolean()).isFalse();
        assertThat(mode.path("setting").asString()).isEqualTo("archive_mode");
        assertThat(mode.path("value").asString()).isEqualTo("off");
        assertThat(mode.path("detail").asString()).contains("archive_mode = on").contains("restart the server");
        JsonNode command = item(check, "archive-command");
        assertThat(command.path("ok").asBoolean()).isFalse();
        assertThat(command.path("value").asString()).isEqualTo("(disabled)");
        assertThat(command.path("detail").asString()).contains("archive_command is (disabled)")
                .contains("the configuration sets pgvault's push for this cluster");
        assertThat(check.toString()).doesNotContain("archive_command=set").doesNotContain("is set");
        assertThat(item(check, "archiver").path("ok").asBoolean()).isFalse();
        assertThat(item(check, "archiving").path("ok").asBoolean()).isFalse();

        pg.execute("postgres", "ALTER SYSTEM SET archive_mode = 'on'", "SELECT pg_reload_conf()");
        await("archive_mode to wait for a restart", () -> Boolean.TRUE.equals(pg.queryValue("postgres",
                "SELECT pending_restart FROM pg_settings WHERE name = 'archive_mode'")));
        JsonNode waiting = item(check(CLUSTER), "archive-mode");
        assertThat(waiting.path("ok").asBoolean()).isFalse();
        assertThat(waiting.path("value").asString()).isEqualTo("off");
        assertThat(waiting.path("detail").asString()).contains("set to 'on'").contains("waits for a server restart");
        assertThat(waiting.path("fix").asString()).contains("restart the server");
    }

    @Test
    @Order(2)
    void aClusterArchivingIntoPgvaultPassesEveryArchiveItem() {
        restart();
        String segment = writeAndSwitch();
        await("segment " + segment + " to be archived", () -> segment.compareTo(String.valueOf(pg.queryValue(
                "postgres", "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver"))) <= 0);

        JsonNode check = check(CLUSTER);
        for (String name : new String[] {"wal-level", "archive-mode", "archive-command", "archiver", "archiving"}) {
            assertThat(item(check, name).path("ok").asBoolean()).as(name + " in " + check).isTrue();
        }
        assertThat(item(check, "archive-command").path("detail").asString())
                .contains("pgvault's push for cluster '" + CLUSTER + "'");
        assertThat(item(check, "archiver").path("detail").asString()).contains("archiving works");
        assertThat(item(check, "tools").path("detail").asString()).contains("pg_dump ").contains("pg_restore ")
                .contains("pg_basebackup ").contains("at or above the server's major version");
        assertThat(check.path("ok").asBoolean()).as(check.toString()).isTrue();
    }

    @Test
    @Order(3)
    void aWrongArchiveTokenFailsTheArchiverNamingTheWalFile() {
        pg.writeDataFile("pgvault-wal.header", "Authorization: Bearer pgva_not-this-clusters-token\n");
        String segment = writeAndSwitch();
        await("the push of " + segment + " to fail", () -> segment.equals(pg.queryValue("postgres",
                "SELECT last_failed_wal FROM pg_stat_archiver")));

        JsonNode archiver = item(check(CLUSTER), "archiver");
        assertThat(archiver.path("ok").asBoolean()).as(archiver.toString()).isFalse();
        assertThat(archiver.path("value").asString()).isEqualTo(segment);
        assertThat(archiver.path("detail").asString()).contains("archiving fails").contains("WAL file " + segment)
                .contains("refused").contains("wrong archive token");
        assertThat(archiver.path("fix").asString()).contains("server log").contains("401")
                .contains("/api/v1/clusters/" + CLUSTER + "/archive-config");

        // the right header again: the server archives the waiting files by itself, and the archiver passes
        api.archiveThroughPgvault(CLUSTER, pg);
        String next = writeAndSwitch();
        await("segment " + next + " to be archived", () -> next.equals(pg.queryValue("postgres",
                "SELECT last_archived_wal FROM pg_stat_archiver")));
        assertThat(item(check(CLUSTER), "archiver").path("ok").asBoolean()).isTrue();
    }

    @Test
    @Order(4)
    void aCommandThatPushesToAnotherClusterIsNamed() {
        register("checked-other", pg.superuser());
        JsonNode command = item(check("checked-other"), "archive-command");
        assertThat(command.path("ok").asBoolean()).isFalse();
        assertThat(command.path("detail").asString()).contains("pgvault's cluster '" + CLUSTER + "'")
                .contains("not to 'checked-other'");
        assertThat(command.path("fix").asString()).contains("/api/v1/clusters/checked-other/archive-config")
                .contains("pg_reload_conf()");
    }

    @Test
    @Order(5)
    void aRoleWithoutReplicationIsToldTheAlterRole() {
        pg.execute("postgres", "CREATE ROLE plain LOGIN");
        register("checked-plain", "plain");
        JsonNode replication = item(check("checked-plain"), "replication");
        assertThat(replication.path("ok").asBoolean()).isFalse();
        assertThat(replication.path("detail").asString()).contains("neither the REPLICATION attribute nor superuser");
        assertThat(replication.path("fix").asString()).contains("ALTER ROLE plain REPLICATION");
    }

    @Test
    @Order(6)
    void walLevelMinimalFailsWithReplicaAndRestart() {
        pg.execute("postgres", "ALTER SYSTEM SET wal_level = 'minimal'", "ALTER SYSTEM SET max_wal_senders = 0",
                "ALTER SYSTEM SET archive_mode = 'off'");
        restart();
        JsonNode check = check(CLUSTER);
        JsonNode level = item(check, "wal-level");
        assertThat(level.path("ok").asBoolean()).isFalse();
        assertThat(level.path("value").asString()).isEqualTo("minimal");
        assertThat(level.path("fix").asString()).contains("wal_level = replica").contains("restart the server");
        JsonNode replication = item(check, "replication");
        assertThat(replication.path("ok").asBoolean()).isFalse();
        assertThat(replication.path("fix").asString()).contains("max_wal_senders").contains("restart the server");
    }

    private void register(String name, String user) {
        Api.Response r = api.post("/api/v1/clusters", Map.of("name", name, "host", pg.host(), "port", pg.port(),
                "username", user, "walArchive", "PUSH"));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    /** Restarts the server; should it come back on another port, the registered clusters follow. */
    private void restart() {
        int before = pg.port();
        pg.stop();
        pg.start();
        if (pg.port() != before) {
            for (String name : new String[] {CLUSTER, "checked-other", "checked-plain"}) {
                JsonNode c = api.get("/api/v1/clusters/" + name).json();
                if (c.has("name")) {
                    Map<String, Object> body = new LinkedHashMap<>(Map.of("host", pg.host(), "port", pg.port(),
                            "username", c.path("username").asString(), "walArchive", "PUSH"));
                    assertThat(api.put("/api/v1/clusters/" + name, body).status()).isEqualTo(200);
                }
            }
        }
    }

    private static String writeAndSwitch() {
        pg.execute("postgres", "CREATE TABLE IF NOT EXISTS t (id int)", "INSERT INTO t SELECT generate_series(1, 100)");
        return pg.switchWal();
    }

    private JsonNode check(String cluster) {
        Api.Response r = api.post("/api/v1/clusters/" + cluster + "/check", "");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private static JsonNode item(JsonNode check, String name) {
        for (JsonNode c : check.path("checks")) {
            if (c.path("name").asString().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check item '" + name + "' in " + check);
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 30 s for " + what + "; pg_stat_archiver: "
                    + pg.query("postgres", "SELECT * FROM pg_stat_archiver")).isLessThan(deadline);
            Api.sleep(200);
        }
    }
}
