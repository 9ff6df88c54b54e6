package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * Recovery plans follow timeline histories, and judge time targets by the WAL's own commit times. A cluster
 * recovered in place goes on writing on timeline 2; a point there is reached from the backup taken on timeline
 * 1 before the first recovery, and the recovery window spans the switch. WAL that reached the archive late
 * serves a time target inside it (the copy stops at the right transaction), while a time after the archive's
 * last transaction is refused up front even though a file arrived after it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TimelineAndTimeTests extends EndToEndTest {

    PgCluster switching;
    PgCluster late;
    Path copies;
    final List<Path> started = new ArrayList<>();

    @BeforeAll
    void setUp() {
        api = new Api(port);
        copies = PgCluster.recoveryDirectory("timelines-");
    }

    @AfterAll
    void cleanUp() {
        for (Path dir : started) {
            PgCluster.removeForeignServer(dir, dir);
        }
        PgCluster.deleteTree(copies);
        for (PgCluster pg : new PgCluster[] {switching, late}) {
            if (pg != null) {
                try (Stream<Path> aside = Files.list(pg.dataDirectory().getParent())) {
                    aside.filter(p -> p.getFileName().toString().contains(".pgvault-")).forEach(PgCluster::deleteTree);
                } catch (java.io.IOException e) {
                    // nothing aside
                }
                pg.close();
            }
        }
    }

    @Test
    void aPointOnTheTimelineAfterAnInPlaceRecoveryIsReachedFromTheBackupTakenBeforeIt() throws Exception {
        switching = archiving("switching");
        switching.execute("postgres", "CREATE TABLE t (batch int)");
        JsonNode before = api.backup("switching", Map.of("kind", "BASE", "label", "timeline 1"));
        switching.execute("postgres", "INSERT INTO t VALUES (1)");
        api.awaitArchived("switching", switchWal(switching));

        Api.Response r = api.post("/api/v1/clusters/switching/recoveries", Map.of("target", Map.of("latest", true),
                "dataDirectory", switching.dataDirectory().toString(), "replaceExisting", true));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode inPlace = api.awaitSucceeded(r.field("id"));
        assertThat(inPlace.path("result").path("timeline").asInt()).isEqualTo(2);

        switching.execute("postgres", "INSERT INTO t VALUES (2)");
        String onTimeline2 = (String) switching.queryValue("postgres", "SELECT pg_current_wal_lsn()::text");
        switching.execute("postgres", "INSERT INTO t VALUES (3)");
        String last = switchWal(switching);
        assertThat(last).startsWith("00000002");
        api.awaitArchived("switching", last);
        api.awaitArchived("switching", "00000002.history");

        JsonNode window = api.get("/api/v1/clusters/switching/wal").json().path("recoveryWindow");
        assertThat(window.path("fromBackup").asString()).as(window.toString()).isEqualTo(before.path("id").asString());
        assertThat(window.path("timeline").asInt()).isEqualTo(2);
        assertThat(window.path("lastSegment").asString()).isEqualTo(last);

        Path dir = copies.resolve("timeline-2");
        started.add(dir);
        Api.Response copy = api.post("/api/v1/clusters/switching/recoveries", Map.of("target",
                Map.of("lsn", onTimeline2), "backupId", before.path("id").asString(), "dataDirectory", dir.toString()));
        assertThat(copy.status()).as(copy.body()).isEqualTo(202);
        JsonNode done = api.awaitSucceeded(copy.field("id"));
        assertThat(values(done, "SELECT batch FROM t ORDER BY 1")).containsExactly(1, 2);
        assertThat(done.path("result").path("timeline").asInt()).isEqualTo(3);
    }

    @Test
    void aTimeInsideWalThatArrivedLateIsReachedAndATimeAfterItsLastTransactionIsRefused() throws Exception {
        late = archiving("late");
        late.execute("postgres", "CREATE TABLE t (x int)");
        api.backup("late", Map.of("kind", "BASE"));
        late.execute("postgres", "INSERT INTO t VALUES (1)");
        api.awaitArchived("late", switchWal(late));

        // archiving stalls (pgvault unreachable, say): the next segment reaches the archive only later
        String command = (String) late.queryValue("postgres", "SHOW archive_command");
        late.execute("postgres", "ALTER SYSTEM SET archive_command = '/bin/false'", "SELECT pg_reload_conf()");
        late.execute("postgres", "INSERT INTO t VALUES (2)");
        Api.sleep(1200);
        Instant target = Instant.now();
        Api.sleep(1200);
        late.execute("postgres", "INSERT INTO t VALUES (3)");
        Api.sleep(1200);
        Instant afterLastTransaction = Instant.now();
        String segment = switchWal(late);
        Api.sleep(1500);
        late.execute("postgres", "ALTER SYSTEM SET archive_command = '" + command.replace("'", "''") + "'",
                "SELECT pg_reload_conf()");
        api.awaitArchived("late", segment);

        Path dir = copies.resolve("late");
        started.add(dir);
        Api.Response r = api.post("/api/v1/clusters/late/recoveries", Map.of("target",
                Map.of("time", target.toString()), "dataDirectory", dir.toString()));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode done = api.awaitSucceeded(r.field("id"));
        assertThat(values(done, "SELECT x FROM t ORDER BY 1")).as("stops before the first commit after the target")
                .containsExactly(1, 2);
        assertThat(OffsetDateTime.parse(done.path("result").path("reachedTime").asString()).toInstant())
                .isBefore(target);

        Api.Response refused = api.post("/api/v1/clusters/late/recoveries", Map.of("target",
                Map.of("time", afterLastTransaction.toString()), "dataDirectory", copies.resolve("never").toString()));
        assertThat(refused.status()).as(refused.body()).isEqualTo(409);
        assertThat(refused.json().path("detail").asString()).contains("holds no transaction written at or after");

        JsonNode window = api.get("/api/v1/clusters/late/wal").json().path("recoveryWindow");
        Instant end = OffsetDateTime.parse(window.path("endTime").asString()).toInstant();
        assertThat(end).as("the window ends at the WAL's last commit, not at the late arrival").isAfter(target)
                .isBefore(afterLastTransaction);
    }

    private PgCluster archiving(String name) {
        PgCluster pg = PgCluster.start(name, Map.of("archive_mode", "on", "archive_command", "", "archive_timeout", "0"));
        api.register(name, pg);
        JsonNode config = api.get("/api/v1/clusters/" + name + "/archive-config").json();
        pg.writeDataFile(config.path("headerFile").asString(), config.path("headerFileContent").asString());
        pg.execute("postgres", "ALTER SYSTEM SET archive_command = '"
                + config.path("archiveCommand").asString().replace("'", "''") + "'", "SELECT pg_reload_conf()");
        return pg;
    }

    private static String switchWal(PgCluster pg) {
        return (String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_switch_wal())");
    }



    private static List<Integer> values(JsonNode job, String sql) throws Exception {
        List<Integer> values = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                + job.path("result").path("port").asInt() + "/postgres", "postgres", "");
                Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getInt(1));
            }
        }
        return values;
    }
}
