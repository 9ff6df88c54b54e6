package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.Damage;
import io.pgvault.testing.PgCluster;
import io.pgvault.testing.WalSegments;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * pgvault itself fails: it is killed (SIGKILL) in the middle of a base backup and a WAL push, its storage
 * fills up mid-backup, a tool hangs past the job timeout, a stored byte rots. Nothing is lost, no partial
 * file stays, the catalog tells the truth, and the server keeps serving.
 */
class FaultTests {

    static final String DB = "fault db";

    @TempDir
    Path dir;

    @Test
    void aCrashDuringABaseBackupAndAWalPushLosesNothing() throws Exception {
        int port = ServerProcess.freePort();
        try (PgCluster pg = PgCluster.start("crash")) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 200000) g");
            String dumpId;
            String baseId;
            String runningJob;
            String runningBackup;
            Map<String, byte[]> pushed = new java.util.LinkedHashMap<>();
            Random random = new Random(42);
            ServerProcess first = ServerProcess.start(dir, port);
            try (Socket walPush = new Socket()) {
                Api api = new Api(port);
                api.register("crash", pg);
                dumpId = api.backup("crash", Map.of("kind", "DUMP", "database", DB)).path("id").asString();
                baseId = api.backup("crash", Map.of("kind", "BASE")).path("id").asString();
                WalSegments wal = WalSegments.of(pg);
                for (int i = 1; i <= 3; i++) {
                    String name = String.format("%08X%08X%08X", 9, 0, i);
                    byte[] bytes = wal.segment(name, random.nextLong());
                    assertThat(pushWal(api, name, bytes)).isEqualTo(201);
                    pushed.put(name, bytes);
                }

                // a base backup at 1 MB/s, and a 16 MiB WAL push that stops after 4 MiB
                JsonNode job = api.startBackup("crash", Map.of("kind", "BASE", "maxRate", 1024, "label", "cut off"));
                runningJob = job.path("id").asString();
                runningBackup = job.path("backupId").asString();
                Path staging = dir.resolve("store/.staging").resolve(runningBackup);
                awaitFile(staging, "the base backup's staging file");
                walPush.connect(new java.net.InetSocketAddress("127.0.0.1", port));
                OutputStream out = walPush.getOutputStream();
                out.write(("PUT /api/v1/clusters/crash/wal/00000009000000000000000A HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Authorization: Bearer " + Api.ADMIN_TOKEN + "\r\nContent-Type: application/octet-stream\r\n"
                        + "Content-Length: 16777216\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                // the start of a valid segment: its header passes, so the body streams into a temporary file
                out.write(Arrays.copyOf(wal.segment("00000009000000000000000A"), 4 * 1024 * 1024));
                out.flush();
                // it may still be empty: zstd's workers hand back the first job's output only with more input
                awaitFile(dir.resolve("store/crash/wal/00000009"), ".push-", "the WAL push's temporary file", false);

                first.kill();
            } finally {
                first.kill();
            }
            try (ServerProcess second = ServerProcess.start(dir, port)) {
                Api api = new Api(port);
                awaitNoToolWrites(runningBackup);
                JsonNode interrupted = api.get("/api/v1/jobs/" + runningJob).json();
                assertThat(interrupted.path("status").asString()).as(second.output()).isEqualTo("FAILED");
                assertThat(interrupted.path("error").asString()).isEqualTo("interrupted");
                assertThat(api.get("/api/v1/backups/" + runningBackup).json().path("status").asString())
                        .isEqualTo("FAILED");
                assertThat(filesUnder(dir.resolve("store/.staging"))).as("no partial backup file").isEmpty();
                assertThat(filesUnder(dir.resolve("store/crash/wal"))).as("no partial WAL file")
                        .noneMatch(p -> p.getFileName().toString().startsWith(".push-"));
                assertThat(api.get("/api/v1/clusters/crash/wal/00000009000000000000000A").status())
                        .as("the cut-off push is not in the archive").isEqualTo(404);

                // everything from before the crash is whole
                for (Map.Entry<String, byte[]> wal : pushed.entrySet()) {
                    assertThat(api.download("/api/v1/clusters/crash/wal/" + wal.getKey())).isEqualTo(wal.getValue());
                }
                assertThat(awaitJob(api, api.post("/api/v1/clusters/crash/wal/verifications", Map.of()))
                        .path("status").asString()).isEqualTo("SUCCEEDED");
                for (String id : List.of(dumpId, baseId)) {
                    assertThat(verify(api, id, "CHECKSUM").path("status").asString()).as(id).isEqualTo("PASSED");
                }
                assertThat(verify(api, baseId, "LIST").path("status").asString()).isEqualTo("PASSED");

                // a rotten byte, in a WAL file and in a backup file, is caught and named
                Damage.flipAByte(dir.resolve("store/crash/wal/00000009/000000090000000000000002"));
                JsonNode walCheck = awaitJob(api, api.post("/api/v1/clusters/crash/wal/verifications", Map.of()));
                assertThat(walCheck.path("status").asString()).isEqualTo("FAILED");
                assertThat(walCheck.path("error").asString()).contains("000000090000000000000002");
                JsonNode dump = api.get("/api/v1/backups/" + dumpId).json();
                Path dumpFile;
                try (Stream<Path> files = Files.walk(dir.resolve("store/crash"))) {
                    dumpFile = files.filter(p -> p.getParent().getFileName().toString().equals(dumpId))
                            .filter(Files::isRegularFile).findFirst().orElseThrow();
                }
                Damage.flipAByte(dumpFile);
                JsonNode verification = verify(api, dumpId, "CHECKSUM");
                assertThat(verification.path("status").asString()).isEqualTo("FAILED");
                assertThat(verification.path("detail").asString()).contains(dumpFile.getFileName().toString());
                assertThat(dump.path("status").asString()).isEqualTo("SUCCEEDED");
            }
        }
    }

    @Test
    void aFullDiskAndAHangingToolFailTheirJobsAndNothingElse() throws Exception {
        int port = ServerProcess.freePort();
        try (PgCluster pg = PgCluster.start("full");
                ServerProcess server = ServerProcess.startOnSmallDisk(dir, port, "24m",
                        "--pgvault.jobs.timeout=8s")) {
            pg.createDatabase(DB);
            pg.createDatabase("small db");
            pg.execute("small db", "CREATE TABLE t AS SELECT generate_series(1, 100) AS id");
            // about 40 MB of text that compresses poorly, dumped uncompressed onto a 24 MiB disk
            pg.execute(DB, "CREATE TABLE big AS SELECT g AS id, md5(random()::text) || md5(random()::text) AS v "
                    + "FROM generate_series(1, 500000) g");
            Api api = new Api(port);
            api.register("full", pg);
            assertThat(api.get("/api/v1/backups?size=1").status()).isEqualTo(200);

            JsonNode job = api.startBackup("full", Map.of("kind", "DUMP", "database", DB, "compression", 0));
            JsonNode failed = api.awaitJob(job.path("id").asString(), Duration.ofMinutes(2));
            assertThat(failed.path("status").asString()).isEqualTo("FAILED");
            assertThat(failed.path("error").asString()).as(failed.toString()).containsIgnoringCase("no space left");
            assertThat(filesUnder(server.storage().resolve(".staging"))).as("the partial dump is gone").isEmpty();
            assertThat(api.get("/api/v1/backups/" + job.path("backupId").asString()).json().path("status").asString())
                    .isEqualTo("FAILED");

            // the server goes on: reads, and a backup that fits
            assertThat(api.get("/api/v1/clusters/full").status()).isEqualTo(200);
            JsonNode small = api.backup("full", Map.of("kind", "DUMP", "database", "small db"));
            assertThat(api.awaitVerification(small.path("id").asString(), Duration.ofMinutes(1))
                    .path("verification").path("status").asString()).isEqualTo("PASSED");

            // a tool that hangs (pg_dump waiting for a lock) is ended by the job timeout, which says so
            try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
                lock.setAutoCommit(false);
                st.execute("LOCK TABLE big IN ACCESS EXCLUSIVE MODE");
                JsonNode hung = api.startBackup("full", Map.of("kind", "DUMP", "database", DB));
                JsonNode ended = api.awaitJob(hung.path("id").asString(), Duration.ofSeconds(60));
                assertThat(ended.path("status").asString()).isIn("FAILED", "CANCELLED");
                assertThat(ended.path("error").asString()).as(ended.toString()).contains("timed out after")
                        .contains("pgvault.jobs.timeout");
                assertThat(filesUnder(server.storage().resolve(".staging"))).isEmpty();
                lock.rollback();
            }
            assertThat(api.get("/api/v1/clusters").status()).isEqualTo(200);
        }
    }

    private static int pushWal(Api api, String name, byte[] bytes) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(Api.authorized(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.base() + "/api/v1/clusters/crash/wal/"
                        + name))).PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
    }

    private static JsonNode awaitJob(Api api, Api.Response accepted) {
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        return api.awaitJob(accepted.field("id"), Duration.ofMinutes(2));
    }

    private static JsonNode verify(Api api, String backupId, String level) {
        JsonNode job = awaitJob(api, api.post("/api/v1/backups/" + backupId + "/verifications",
                Map.of("level", level)));
        assertThat(job.path("status").asString()).isIn("SUCCEEDED", "FAILED");
        return api.get("/api/v1/backups/" + backupId).json().path("verification");
    }

    private static List<Path> filesUnder(Path root) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    private static void awaitFile(Path directory, String what) throws Exception {
        awaitFile(directory, "", what, true);
    }

    private static void awaitFile(Path directory, String prefix, String what, boolean written) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            if (filesUnder(directory).stream().anyMatch(p -> p.getFileName().toString().startsWith(prefix)
                    && (!written || p.toFile().length() > 0))) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(what + " never appeared in " + directory);
    }

    /**
     * The killed server's tools would go on writing (libpq ignores SIGPIPE): the next start ends them before it
     * sweeps the staging area.
     */
    private static void awaitNoToolWrites(String backupId) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        List<String> left = new ArrayList<>();
        while (System.currentTimeMillis() < deadline) {
            left = ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                    .filter(c -> c.contains(backupId)).toList();
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("tools of the killed server still run: " + left);
    }
}
