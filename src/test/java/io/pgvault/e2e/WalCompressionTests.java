package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.storage.Sha256;
import io.pgvault.testing.PgCluster;
import io.pgvault.testing.WalSegments;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

/**
 * A compressed WAL archive: real WAL that a cluster's archive_command pushes is stored zstd-compressed, a
 * fetch gives back the bytes PostgreSQL pushed, the catalog keeps the original's checksum, verification
 * decodes and catches a damaged stored file, and files stored as they were before codecs still read.
 */
class WalCompressionTests extends EndToEndTest {

    private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD};
    private static final int SEGMENT = 16 * 1024 * 1024;

    @Autowired
    JdbcTemplate catalog;
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void realWalIsStoredCompressedAndFetchedAsPushed() throws Exception {
        try (PgCluster pg = PgCluster.start("zwal")) {
            api.register("zwal", pg);
            JsonNode config = api.get("/api/v1/clusters/zwal/archive-config").json();
            pg.writeDataFile(config.path("headerFile").asString(), config.path("headerFileContent").asString());
            // a copy of each segment as PostgreSQL hands it over, to compare with what pgvault gives back
            String command = "mkdir -p pushed && cp %p pushed/%f && " + config.path("archiveCommand").asString();
            pg.execute("postgres", "ALTER SYSTEM SET archive_mode = 'on'",
                    "ALTER SYSTEM SET archive_command = '" + command.replace("'", "''") + "'");
            pg.stop();
            pg.start();
            pg.execute("postgres", "CREATE TABLE accounts (id int primary key, balance bigint, note text)",
                    "INSERT INTO accounts SELECT i, i * 7, 'account ' || i FROM generate_series(1, 100000) i",
                    "UPDATE accounts SET balance = balance + 1 WHERE id % 3 = 0");
            String segment = (String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())");
            pg.execute("postgres", "SELECT pg_switch_wal()");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (catalog.queryForObject("SELECT count(*) FROM wal_file WHERE cluster = 'zwal' AND name = ?",
                    Long.class, segment) == 0) {
                assertThat(System.nanoTime()).as("%s never archived: %s", segment,
                        pg.query("postgres", "SELECT * FROM pg_stat_archiver")).isLessThan(deadline);
                Thread.sleep(200);
            }

            byte[] original = Files.readAllBytes(pg.dataDirectory().resolve("pushed").resolve(segment));
            assertThat(original).hasSize(SEGMENT);
            byte[] stored = stored().encodedWal("zwal", segment);
            assertThat(Arrays.copyOf(stored, 4)).as("a zstd frame").isEqualTo(ZSTD_MAGIC);
            assertThat(stored.length).as("stored compressed").isLessThan(SEGMENT / 2);
            assertThat(api.download("/api/v1/clusters/zwal/wal/" + segment)).as("fetch gives the original")
                    .isEqualTo(original);

            Map<String, Object> row = catalog.queryForMap("SELECT size_bytes, sha256, codec, stored_size_bytes "
                    + "FROM wal_file WHERE cluster = 'zwal' AND name = ?", segment);
            assertThat(row.get("sha256")).isEqualTo(Sha256.of(original));
            assertThat(((Number) row.get("size_bytes")).longValue()).isEqualTo(SEGMENT);
            assertThat(row.get("codec")).isEqualTo("ZSTD");
            assertThat(((Number) row.get("stored_size_bytes")).longValue()).isEqualTo(stored.length);

            // archive_command sending it again is recognized by the original's checksum; other content is not
            assertThat(put("zwal", segment, original).statusCode()).isEqualTo(200);
            byte[] other = original.clone();
            other[SEGMENT - 1] ^= 1;
            assertThat(put("zwal", segment, other).statusCode()).isEqualTo(409);
            assertThat(api.download("/api/v1/clusters/zwal/wal/" + segment)).isEqualTo(original);

            assertThat(verifyArchive("zwal").path("status").asString()).isEqualTo("SUCCEEDED");
            stored().damageWal("zwal", segment);
            JsonNode damaged = verifyArchive("zwal");
            assertThat(damaged.path("status").asString()).isEqualTo("FAILED");
            assertThat(damaged.path("error").asString()).contains(segment);
            assertThat(pg.queryValue("postgres", "SELECT failed_count FROM pg_stat_archiver")).isEqualTo(0L);
        }
    }

    @Test
    void filesStoredBeforeCodecsStillFetchAndVerify() throws Exception {
        api.register("zold", PgCluster.shared());
        WalSegments wal = WalSegments.of(PgCluster.shared());
        // as an upgrade finds them: stored as they came, a row without a codec or stored size
        String listed = "000000010000000000000031";
        byte[] old = wal.segment(listed, 5);
        stored().putWalUnrecorded("local", "zold", listed, old);
        catalog.update("INSERT INTO wal_file (cluster, name, timeline, kind, size_bytes, sha256, archived_at) "
                + "VALUES ('zold', ?, 1, 'SEGMENT', ?, ?, CURRENT_TIMESTAMP)", listed, old.length, Sha256.of(old));
        assertThat(api.download("/api/v1/clusters/zold/wal/" + listed)).isEqualTo(old);
        assertThat(put("zold", listed, old).statusCode()).as("an identical re-push").isEqualTo(200);
        assertThat(stored().encodedWal("zold", listed)).as("left as it was").isEqualTo(old);

        // a push cut off between storing and recording leaves an unlisted file: no archived file, never served
        String unlisted = "000000010000000000000032";
        byte[] segment = wal.segment(unlisted, 6);
        stored().putWalUnrecorded("local", "zold", unlisted, segment);
        assertThat(api.get("/api/v1/clusters/zold/wal/" + unlisted).status()).isEqualTo(404);

        String pushed = "000000010000000000000033";
        byte[] fresh = wal.segment(pushed, 7);
        assertThat(put("zold", pushed, fresh).statusCode()).isEqualTo(201);
        assertThat(Arrays.copyOf(stored().encodedWal("zold", pushed), 4)).isEqualTo(ZSTD_MAGIC);
        assertThat(verifyArchive("zold").path("status").asString()).isEqualTo("SUCCEEDED");
        stored().damageWal("zold", listed);
        JsonNode damaged = verifyArchive("zold");
        assertThat(damaged.path("status").asString()).isEqualTo("FAILED");
        assertThat(damaged.path("error").asString()).contains(listed).doesNotContain(pushed);
    }

    private HttpResponse<byte[]> put(String cluster, String file, byte[] body) throws Exception {
        return http.send(Api.authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/v1/clusters/" + cluster + "/wal/" + file)))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private JsonNode verifyArchive(String cluster) {
        Api.Response accepted = api.post("/api/v1/clusters/" + cluster + "/wal/verifications", Map.of());
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        return api.awaitJob(accepted.field("id"), Duration.ofMinutes(2));
    }
}
