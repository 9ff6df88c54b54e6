package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.WalSegments;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The WAL archive: exact names only, durable and idempotent pushes, 409 for different content under an
 * existing name with the original kept, safe concurrent pushes, gaps in the summary, and a real
 * cluster whose archive_command pushes its segments and backup history files to pgvault with curl.
 */
class WalArchiveTests extends EndToEndTest {

    static final String CLUSTER = "wal";
    final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<byte[]> put(String cluster, String file, byte[] body) throws Exception {
        return http.send(Api.authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/api/v1/clusters/" + cluster
                + "/wal/" + file))).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> fetch(String cluster, String file) throws Exception {
        return http.send(Api.authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/api/v1/clusters/" + cluster
                + "/wal/" + file))).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void pushIsDurableIdempotentAndRefusesDifferentContent() throws Exception {
        api.register(CLUSTER, PgCluster.shared());
        WalSegments wal = WalSegments.of(PgCluster.shared());
        String name = "000000010000000000000010";
        byte[] segment = wal.segment(name, 1);
        assertThat(put(CLUSTER, name, segment).statusCode()).isEqualTo(201);
        assertThat(put(CLUSTER, name, segment).statusCode()).isEqualTo(200);
        HttpResponse<byte[]> conflict = put(CLUSTER, name, wal.segment(name, 2));
        assertThat(conflict.statusCode()).isEqualTo(409);
        assertThat(new String(conflict.body())).contains("different content").contains("kept");
        assertThat(fetch(CLUSTER, name).body()).isEqualTo(segment);
        try (var stored = io.pgvault.storage.codec.Codec.ZSTD.decode(
                new java.io.ByteArrayInputStream(stored().encodedWal(CLUSTER, name)))) {
            assertThat(stored.readAllBytes()).as("stored compressed").isEqualTo(segment);
        }

        assertThat(put(CLUSTER, "00000002.history", "1\t0/3000000\tno recovery target specified\n".getBytes())
                .statusCode()).isEqualTo(201);
        assertThat(put(CLUSTER, "000000010000000000000011.00000028.backup",
                wal.backupLabel("000000010000000000000011", 0x28)).statusCode()).isEqualTo(201);
        assertThat(put(CLUSTER, "000000010000000000000012.partial",
                wal.segment("000000010000000000000012.partial", 3)).statusCode()).isEqualTo(201);
        assertThat(fetch(CLUSTER, "000000010000000000000099").statusCode()).isEqualTo(404);
        assertThat(fetch("nobody", name).statusCode()).isEqualTo(404);
    }

    @Test
    void refusesAnythingButPostgresNames() throws Exception {
        api.register(CLUSTER, PgCluster.shared());
        for (String bad : List.of("..%2F..%2Fetc%2Fpasswd", "00000001000000000000001", "000000010000000000000010x",
                "000000010000000000000010.gz", "0000000100000000000000zz", "history", "00000001.History",
                "%2E%2E", "000000010000000000000010%0A")) {
            HttpResponse<byte[]> r = put(CLUSTER, bad, new byte[] {1});
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(r.headers().firstValue("Content-Type").orElse("")).as(bad).startsWith("application/problem+json");
        }
        // Tomcat refuses a NUL in a path itself, before any handler: still a 400 that starts nothing
        assertThat(put(CLUSTER, "000000010000000000000077%00", new byte[] {1}).statusCode()).isEqualTo(400);
        assertThat(fetch(CLUSTER, "000000010000000000000077").statusCode()).isEqualTo(404);
    }

    @Test
    void concurrentPushesAreSafe() throws Exception {
        api.register(CLUSTER, PgCluster.shared());
        WalSegments wal = WalSegments.of(PgCluster.shared());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            byte[] same = wal.segment("000000010000000000000020", 7);
            List<Callable<Integer>> identical = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                identical.add(() -> put(CLUSTER, "000000010000000000000020", same).statusCode());
            }
            List<Integer> codes = statuses(pool.invokeAll(identical));
            assertThat(codes).containsOnly(200, 201).containsOnlyOnce(201);

            List<byte[]> contents = new ArrayList<>();
            List<Callable<Integer>> different = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                byte[] content = wal.segment("000000010000000000000021", 100 + i);
                contents.add(content);
                different.add(() -> put(CLUSTER, "000000010000000000000021", content).statusCode());
            }
            codes = statuses(pool.invokeAll(different));
            assertThat(codes).containsOnly(201, 409).containsOnlyOnce(201);
            byte[] stored = fetch(CLUSTER, "000000010000000000000021").body();
            assertThat(contents.get(codes.indexOf(201))).isEqualTo(stored);
            assertThat(contents.stream().filter(c -> Arrays.equals(c, stored))).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theSummaryShowsGaps() throws Exception {
        api.register("gappy", PgCluster.shared());
        WalSegments wal = WalSegments.of(PgCluster.shared());
        for (String name : List.of("000000030000000000000001", "000000030000000000000002", "000000030000000000000005",
                "000000030000000100000000")) {
            assertThat(put("gappy", name, wal.segment(name)).statusCode()).isEqualTo(201);
        }
        JsonNode summary = api.get("/api/v1/clusters/gappy/wal").json();
        JsonNode timeline = summary.path("timelines").get(0);
        assertThat(timeline.path("timeline").asLong()).isEqualTo(3);
        assertThat(timeline.path("firstSegment").asString()).isEqualTo("000000030000000000000001");
        assertThat(timeline.path("lastSegment").asString()).isEqualTo("000000030000000100000000");
        assertThat(timeline.path("gaps").get(0).path("firstMissing").asString()).isEqualTo("000000030000000000000003");
        assertThat(timeline.path("gaps").get(0).path("lastMissing").asString()).isEqualTo("000000030000000000000004");
        assertThat(timeline.path("gaps").get(1).path("firstMissing").asString()).isEqualTo("000000030000000000000006");
        assertThat(timeline.path("gaps").get(1).path("lastMissing").asString()).isEqualTo("0000000300000000000000FF");
        assertThat(summary.path("secondsSinceLastArchived").asLong()).isLessThan(60);
    }

    @Test
    void aRealClusterArchivesThroughArchiveCommand() throws Exception {
        try (PgCluster pg = PgCluster.start("archiving")) {
            api.register("archiving", pg);
            JsonNode config = api.get("/api/v1/clusters/archiving/archive-config").json();
            pg.writeDataFile(config.path("headerFile").asString(), config.path("headerFileContent").asString());
            String command = config.path("archiveCommand").asString();
            assertThat(command).contains("/api/v1/clusters/archiving/wal/%f");
            pg.execute("postgres", "ALTER SYSTEM SET archive_mode = 'on'",
                    "ALTER SYSTEM SET archive_command = '" + command.replace("'", "''") + "'");
            pg.stop();
            pg.start();
            pg.execute("postgres", "CREATE TABLE t (id int)", "INSERT INTO t SELECT generate_series(1, 1000)");
            String segment = (String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())");
            pg.execute("postgres", "SELECT pg_switch_wal()");
            long deadline = System.currentTimeMillis() + 30_000;
            while (fetch("archiving", segment).statusCode() != 200) {
                assertThat(System.currentTimeMillis()).as("segment %s never archived; %s", segment,
                        pg.query("postgres", "SELECT * FROM pg_stat_archiver")).isLessThan(deadline);
                Thread.sleep(200);
            }
            assertThat(fetch("archiving", segment).body()).hasSize(16 * 1024 * 1024);
            assertThat(pg.queryValue("postgres", "SELECT failed_count FROM pg_stat_archiver")).isEqualTo(0L);
            JsonNode summary = api.get("/api/v1/clusters/archiving/wal").json();
            assertThat(summary.path("timelines").get(0).path("lastSegment").asString()).isEqualTo(segment);
            assertThat(summary.path("timelines").get(0).path("gaps").size()).isZero();

            // a backup history file, as PostgreSQL writes and archives it at the end of a backup
            String label;
            try (java.sql.Connection c = pg.connect("postgres"); java.sql.Statement st = c.createStatement()) {
                java.sql.ResultSet rs = st.executeQuery("SELECT file_name, file_offset FROM "
                        + "pg_walfile_name_offset(pg_backup_start('pgvault test', true))");
                rs.next();
                label = rs.getString(1) + String.format(".%08X.backup", rs.getInt(2));
                st.execute("SELECT pg_backup_stop()");
            }
            while (fetch("archiving", label).statusCode() != 200) {
                assertThat(System.currentTimeMillis()).as("%s never archived; %s", label,
                        pg.query("postgres", "SELECT * FROM pg_stat_archiver")).isLessThan(deadline + 30_000);
                Thread.sleep(200);
            }
            assertThat(new String(fetch("archiving", label).body())).startsWith("START WAL LOCATION: ");
            assertThat(pg.queryValue("postgres", "SELECT failed_count FROM pg_stat_archiver")).isEqualTo(0L);
        }
    }

    private static List<Integer> statuses(List<Future<Integer>> futures) throws Exception {
        List<Integer> codes = new ArrayList<>();
        for (Future<Integer> f : futures) {
            codes.add(f.get());
        }
        return codes;
    }
}
