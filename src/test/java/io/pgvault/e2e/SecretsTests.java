package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

/**
 * A cluster password works for every tool (so it really reaches them) yet never shows up in an API
 * answer, a log line, a job log, a tool's argv or its environment.
 */
@ExtendWith(OutputCaptureExtension.class)
class SecretsTests extends EndToEndTest {

    @Autowired
    JdbcTemplate catalog;

    static final String ROLE = "vault_user";
    static final String SECRET = "S3cr3t:with\\odd'chars-" + Long.toHexString(System.nanoTime());
    static final String DB = "secret db";

    @Test
    void thePasswordNeverLeaks(CapturedOutput output) throws Exception {
        PgCluster pg = PgCluster.shared();
        pg.createPasswordUser(ROLE, SECRET);
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE held (id int, secret_free text)",
                    "INSERT INTO held SELECT g, 'row ' || g FROM generate_series(1, 500) g");
        }
        Map<String, Object> cluster = new HashMap<>(Map.of("name", "secret", "host", pg.host(), "port", pg.port(),
                "username", ROLE, "password", "wrong-" + SECRET));
        Api.Response wrong = api.post("/api/v1/clusters", cluster);
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.body()).contains("password authentication failed").doesNotContain(SECRET);

        cluster.put("password", SECRET);
        Api.Response registered = api.post("/api/v1/clusters", cluster);
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        assertThat(registered.json().path("passwordSet").asBoolean()).isTrue();
        String stored = catalog.queryForObject("select password from cluster where name = 'secret'", String.class);
        assertThat(stored).as("sealed at rest").startsWith("v2:").doesNotContain(SECRET);
        Path keyFile = STORAGE.resolveSibling(STORAGE.getFileName() + ".key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        List<String> answers = new java.util.ArrayList<>(List.of(registered.body(),
                api.get("/api/v1/clusters/secret").body(), api.get("/api/v1/clusters").body(),
                api.post("/api/v1/clusters/secret/check", "").body()));

        JsonNode job;
        try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
            lock.setAutoCommit(false);
            st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
            job = api.startBackup("secret", Map.of("kind", "DUMP", "database", DB));
            api.awaitJob(job.path("id").asString(), Duration.ofSeconds(30), Set.of("RUNNING"));
            JobCancelTests.awaitDescendant("pg_dump", true);
            ProcessHandle dump = ProcessHandle.current().descendants()
                    .filter(p -> p.info().command().orElse("").endsWith("/pg_dump")).findFirst().orElseThrow();
            String environ = read(Path.of("/proc", Long.toString(dump.pid()), "environ"));
            assertThat(environ).contains("PGPASSFILE=" + PASS_FILES + "/").doesNotContain(SECRET)
                    .doesNotContain("PGPASSWORD");
            assertThat(allCommandLines()).noneMatch(c -> c.contains(SECRET));
            lock.rollback();
        }
        JsonNode done = api.awaitJob(job.path("id").asString(), Duration.ofMinutes(1));
        assertThat(done.path("status").asString()).isEqualTo("SUCCEEDED");
        String backupId = done.path("backupId").asString();
        api.awaitVerification(backupId, Duration.ofMinutes(1));
        api.restore(backupId, Map.of("targetDatabase", "secret restored", "createDatabase", true));
        assertThat(pg.fingerprints("secret restored")).isEqualTo(pg.fingerprints(DB));
        pg.dropDatabase("secret restored");

        answers.add(api.get("/api/v1/jobs/" + done.path("id").asString()).body());
        answers.add(api.get("/api/v1/jobs/" + done.path("id").asString() + "/log").body());
        answers.add(api.get("/api/v1/jobs?size=100").body());
        answers.add(api.get("/api/v1/backups/" + backupId).body());
        answers.add(api.patch("/api/v1/clusters/secret", Map.of("host", pg.host(), "port", pg.port(),
                "username", ROLE, "password", "wrong-" + SECRET)).body());
        assertThat(answers).noneMatch(a -> a.contains(SECRET));
        assertThat(output.getAll()).doesNotContain(SECRET);
        try (Stream<Path> temp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(temp.map(Path::getFileName).map(Path::toString)).noneMatch(n -> n.endsWith(".pgpass"));
        }
    }

    private static List<String> allCommandLines() throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .map(p -> read(p.resolve("cmdline"))).toList();
        }
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }
}
