package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * pgvault as its own JVM, killed and stopped: the temporary PGPASSFILE of a tool that ran when pgvault was
 * SIGKILLed lives in pgvault's private directory (0700) and is gone after the next start; the H2 catalog's
 * files are owner-only; and a stopping pgvault answers the requests that wait for jobs at once instead of
 * letting them hold up its shutdown.
 */
class ServerStartAndStopTests {

    static final String ROLE = "passfile_user";
    static final String SECRET = "pass:file\\secret-" + Long.toHexString(System.nanoTime());
    static final String DB = "passfile db";

    @TempDir
    Path dir;

    @Test
    void aKilledServersPasswordFileIsSweptAndAStoppingServerAnswersItsWaiters() throws Exception {
        Path passFiles = dir.resolve("pgpass");
        String[] args = {"--pgvault.tools.pass-file-directory=" + passFiles};
        int port = ServerProcess.freePort();
        try (PgCluster pg = PgCluster.start("passfile")) {
            pg.createPasswordUser(ROLE, SECRET);
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE held AS SELECT g AS id FROM generate_series(1, 1000) g");

            ServerProcess first = ServerProcess.start(dir, port, args);
            try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
                Api api = new Api(port);
                register(api, pg);
                assertThat(mode(passFiles)).isEqualTo("rwx------");
                assertThat(catalogFiles()).isNotEmpty().allSatisfy(f -> assertThat(mode(f)).as(f.toString())
                        .isEqualTo("rw-------"));
                lock.setAutoCommit(false);
                st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
                JsonNode job = api.startBackup("passfile", Map.of("kind", "DUMP", "database", DB));
                api.awaitJob(job.path("id").asString(), Duration.ofSeconds(30), Set.of("RUNNING"));
                pg.awaitLockWaiter(DB);
                // pg_dump opens its password file just before it starts waiting; give it a moment
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (list(passFiles).isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                List<Path> during = list(passFiles);
                assertThat(during).as("pg_dump's PGPASSFILE").hasSize(1);
                assertThat(mode(during.get(0))).isEqualTo("rw-------");

                first.kill();
                assertThat(list(passFiles)).as("SIGKILL leaves it behind").isEqualTo(during);
                lock.rollback();
            } finally {
                first.kill();
            }

            ServerProcess second = ServerProcess.start(dir, port, args);
            CompletableFuture<HttpResponse<String>> waiter;
            try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
                assertThat(list(passFiles)).as("swept at start-up").isEmpty();
                assertThat(second.output()).contains("Removed 1 password file(s)");
                Api api = new Api(port);
                JsonNode backup = api.backup("passfile", Map.of("kind", "DUMP", "database", DB));
                assertThat(backup.path("status").asString()).isEqualTo("SUCCEEDED");
                assertThat(list(passFiles)).as("a finished tool's file goes at once").isEmpty();

                // a stopping server answers a waiter at once rather than letting it hold up the shutdown
                lock.setAutoCommit(false);
                st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
                String jobId = api.startBackup("passfile", Map.of("kind", "DUMP", "database", DB)).path("id")
                        .asString();
                api.awaitJob(jobId, Duration.ofSeconds(30), Set.of("RUNNING"));
                waiter = HttpClient.newHttpClient().sendAsync(Api.authorized(HttpRequest.newBuilder(
                        URI.create(api.base() + "/api/v1/jobs/" + jobId + "?waitSeconds=600"))).build(),
                        HttpResponse.BodyHandlers.ofString());
                api.awaitWaiters(1);
                second.close();
                // answered at the stop, not at the waiter's 600 s: the get's deadline is the bound
                HttpResponse<String> answer = waiter.get(20, TimeUnit.SECONDS);
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                assertThat(Api.JSON.readTree(answer.body()).path("status").asString()).isEqualTo("RUNNING");
                lock.rollback();
            } finally {
                second.kill();
            }
        }
    }

    private static void register(Api api, PgCluster pg) {
        Map<String, Object> cluster = new HashMap<>(Map.of("name", "passfile", "host", pg.host(), "port", pg.port(),
                "username", ROLE, "password", SECRET));
        Api.Response r = api.post("/api/v1/clusters", cluster);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    private List<Path> catalogFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("catalog.")).toList();
        }
    }

    private static List<Path> list(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.sorted().toList();
        }
    }

    private static String mode(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
