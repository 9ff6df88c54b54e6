package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.storage.Sha256;
import io.pgvault.testing.DebianCluster;
import io.pgvault.testing.PgCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * The most common PostgreSQL layout: a cluster made with pg_createcluster keeps postgresql.conf, pg_hba.conf and
 * pg_ident.conf in /etc/postgresql/VERSION/NAME. Its BASE backup captures them; a point-in-time recovery, a BASE
 * restore and a restore drill each start a copy from them (below /var/lib/postgresql, Debian's own directory,
 * which the postgres user owns), and each copy answers with the right rows; an in-place recovery leaves /etc as
 * it is. A role that may not read the files still gets its backup, with a warning, and copies start with a
 * minimal configuration.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebianLayoutTests extends EndToEndTest {

    static final String CLUSTER = "debian";

    DebianCluster pg;
    Path copies;
    final List<Path> started = new ArrayList<>();
    JsonNode base;
    String afterBatch2Time;
    Map<String, String> etc;

    @BeforeAll
    void debianClusterArchivingToPgvault() throws Exception {
        api = new Api(port);
        pg = DebianCluster.create("pgvt");
        copies = Path.of("/var/lib/postgresql", "pgvault-test-" + pg.port());
        Api.Response r = api.post("/api/v1/clusters", Map.of("name", CLUSTER, "host", pg.host(), "port", pg.port(),
                "username", "postgres", "password", pg.password()));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        JsonNode config = api.get("/api/v1/clusters/" + CLUSTER + "/archive-config").json();
        pg.writeDataFile(config.path("headerFile").asString(), config.path("headerFileContent").asString());
        pg.execute("postgres", "ALTER SYSTEM SET archive_mode = on", "ALTER SYSTEM SET archive_command = '"
                + config.path("archiveCommand").asString().replace("'", "''") + "'");
        pg.restart();
        pg.execute("postgres", "CREATE TABLE t (id int PRIMARY KEY, batch int NOT NULL)");
        insertBatch(1);
        etc = hashes(pg.configDirectory());
        base = api.backup(CLUSTER, Map.of("kind", "BASE", "label", "debian"));
        insertBatch(2);
        afterBatch2Time = (String) pg.queryValue("postgres",
                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        pg.execute("postgres", "SELECT pg_switch_wal()");
        insertBatch(3);
        api.awaitArchived(CLUSTER, (String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_switch_wal())"));
    }

    @AfterAll
    void cleanUp() {
        for (Path dir : started) {
            try {
                PgCluster.runAsOsUser(PgCluster.binDirectory().resolve("pg_ctl").toString(), "-D", dir.toString(), "-m", "immediate",
                        "stop");
            } catch (IllegalStateException e) {
                // not running
            }
        }
        PgCluster.deleteTree(copies);
        if (pg != null) {
            pg.close();
            try (Stream<Path> aside = Files.list(pg.dataDirectory().getParent())) {
                aside.filter(p -> p.getFileName().toString().startsWith(pg.dataDirectory().getFileName() + ".pgvault-"))
                        .forEach(PgCluster::deleteTree);
            } catch (java.io.IOException e) {
                // nothing aside
            }
        }
    }

    @Test
    @Order(1)
    void theBaseBackupCapturesTheConfigurationUnderEtc() {
        List<String> files = new ArrayList<>();
        base.path("files").forEach(f -> files.add(f.path("path").asString()));
        String etcDir = "config" + pg.configDirectory();
        assertThat(files).contains(etcDir + "/postgresql.conf", etcDir + "/pg_hba.conf", etcDir + "/pg_ident.conf");
        assertThat(base.path("serverConfig").path("configFile").asString())
                .isEqualTo(pg.configDirectory().resolve("postgresql.conf").toString());
        assertThat(base.path("serverConfig").path("dataDirectory").asString()).isEqualTo(pg.dataDirectory().toString());
        assertThat(base.path("warnings").isMissingNode()).as(base.toString()).isTrue();
        JsonNode verified = api.awaitVerification(base.path("id").asString(), Duration.ofMinutes(2));
        assertThat(verified.path("verification").path("status").asString()).as(verified.toString()).isEqualTo("PASSED");
    }

    @Test
    @Order(2)
    void aPointInTimeRecoveryIntoANewDirectoryStartsFromTheCapturedConfiguration() throws Exception {
        Path dir = copies.resolve("pitr");
        JsonNode job = recover(Map.of("target", Map.of("time", afterBatch2Time), "dataDirectory", dir.toString()));
        assertThat(batches(job)).containsExactly(1, 2);
        String log = api.get("/api/v1/jobs/" + job.path("id").asString() + "/log").body();
        assertThat(log).contains("laid the 3 configuration file(s) the backup captured from " + pg.configDirectory())
                .contains("data_directory").contains("external_pid_file").contains("hba_file");
        String conf = PgCluster.runAsOsUser("cat", dir.resolve("postgresql.conf").toString());
        assertThat(conf).contains("port = '" + job.path("result").path("port").asInt() + "'")
                .contains("hba_file = '" + dir.resolve("pg_hba.conf") + "'")
                .doesNotContain("\nexternal_pid_file").doesNotContain("\ndata_directory");
        try (Stream<Path> walk = Files.walk(dir)) {
            assertThat(walk.filter(p -> !PgCluster.osUser().equals(owner(p))).toList())
                    .as("every file of the copy belongs to the server's OS user").isEmpty();
        }
        assertThat(hashes(pg.configDirectory())).as("/etc is left as it was").isEqualTo(etc);
    }

    @Test
    @Order(3)
    void aBaseRestoreIntoANewDirectoryStarts() throws Exception {
        Path dir = copies.resolve("restored");
        started.add(dir);
        JsonNode job = api.restore(base.path("id").asString(), Map.of("dataDirectory", dir.toString()));
        assertThat(job.path("result").path("state").asString()).isEqualTo("promoted");
        assertThat(batches(job)).containsExactly(1);
    }

    @Test
    @Order(4)
    void aRestoreDrillPasses() {
        String id = base.path("id").asString();
        Api.Response r = api.post("/api/v1/backups/" + id + "/verifications", Map.of("level", "RESTORE"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitJob(r.field("id"), Duration.ofMinutes(3));
        assertThat(job.path("status").asString()).as(api.get("/api/v1/jobs/" + r.field("id") + "/log").body())
                .isEqualTo("SUCCEEDED");
        assertThat(api.get("/api/v1/backups/" + id).json().path("verification").path("status").asString())
                .isEqualTo("PASSED");
    }

    @Test
    @Order(5)
    void aRoleThatMayNotReadTheFilesGetsAWarningAndCopiesStartWithAMinimalConfiguration() throws Exception {
        pg.execute("postgres", "CREATE ROLE limited LOGIN REPLICATION PASSWORD 'limited-pw'");
        Api.Response r = api.post("/api/v1/clusters", Map.of("name", "debian-limited", "host", pg.host(),
                "port", pg.port(), "username", "limited", "password", "limited-pw"));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        JsonNode backup = api.backup("debian-limited", Map.of("kind", "BASE"));
        assertThat(backup.path("warnings").toString()).contains("pg_read_all_settings");
        assertThat(backup.path("files").toString()).doesNotContain("config/");

        Path dir = copies.resolve("minimal");
        started.add(dir);
        JsonNode job = api.restore(backup.path("id").asString(), Map.of("dataDirectory", dir.toString()));
        assertThat(api.get("/api/v1/jobs/" + job.path("id").asString() + "/log").body())
                .contains("wrote a minimal working configuration");
        assertThat(batches(job)).containsExactly(1, 2, 3);
    }

    @Test
    @Order(6)
    void anInPlaceRecoveryLeavesTheEtcConfigurationAsItIs() throws Exception {
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of("target", Map.of("latest", true),
                "dataDirectory", pg.dataDirectory().toString(), "replaceExisting", true));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitSucceeded(r.field("id"));
        assertThat(job.path("result").path("port").asInt()).isEqualTo(pg.port());
        assertThat(batches(job)).containsExactly(1, 2, 3);
        assertThat(hashes(pg.configDirectory())).as("/etc is left as it was").isEqualTo(etc);
        assertThat(PgCluster.runAsOsUser("cat", pg.dataDirectory().resolve("pgvault-wal.header").toString()))
                .as("the cluster archives with its own token again")
                .isEqualTo(api.get("/api/v1/clusters/" + CLUSTER + "/archive-config").json().path("headerFileContent")
                        .asString());
    }

    private JsonNode recover(Map<String, ?> body) {
        started.add(Path.of((String) body.get("dataDirectory")));
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", body);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return api.awaitSucceeded(r.field("id"));
    }


    private void insertBatch(int batch) {
        pg.execute("postgres", "INSERT INTO t SELECT g, " + batch + " FROM generate_series(" + (batch * 100)
                + ", " + (batch * 100 + 9) + ") g");
    }

    private List<Integer> batches(JsonNode job) throws Exception {
        List<Integer> batches = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                + job.path("result").path("port").asInt() + "/postgres", "postgres", pg.password());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT DISTINCT batch FROM t ORDER BY 1")) {
            while (rs.next()) {
                batches.add(rs.getInt(1));
            }
        }
        return batches;
    }

    private static Map<String, String> hashes(Path dir) throws Exception {
        Map<String, String> hashes = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted().toList()) {
                hashes.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "dir" : Sha256.of(p));
            }
        }
        return hashes;
    }

    private static String owner(Path p) {
        try {
            return Files.getOwner(p, java.nio.file.LinkOption.NOFOLLOW_LINKS).getName();
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
