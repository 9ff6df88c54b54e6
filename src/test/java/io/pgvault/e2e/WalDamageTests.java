package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The archive's first proof of replay: a pushed segment whose header is valid but one of whose records is damaged
 * (as a bad disk or a broken copy leaves it, pushed before the server's own archiver) is accepted as a file, and
 * pg_waldump's background read names it at once: in the archive summary, and in the cluster's backup health with
 * the reason. Whole segments of the same server are not named. Real segments of a real server (1 MiB, so that
 * the test is quick), damaged one byte in the middle.
 */
class WalDamageTests extends EndToEndTest {

    static final String CLUSTER = "damaged-wal";
    static PgCluster pg;

    @BeforeAll
    static void server() {
        pg = PgCluster.start("damage", Map.of("wal_keep_size", "64MB"), List.of("--wal-segsize=1"));
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @Test
    void aSegmentWhoseRecordsDoNotDecodeIsNamedInTheSummaryAndInHealth() throws Exception {
        assertThat(api.post("/api/v1/clusters", Map.of("name", CLUSTER, "host", pg.host(), "port", pg.port(),
                "username", pg.superuser(), "walArchive", "PUSH")).status()).isEqualTo(201);
        String first = (String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())");
        pg.execute("postgres", "CREATE TABLE filler AS SELECT g, md5(g::text) AS note FROM generate_series(1, 40000) g");
        String last = (String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())");
        pg.execute("postgres", "SELECT pg_switch_wal()");
        Path walDir = pg.dataDirectory().resolve("pg_wal");
        List<String> written;
        try (var names = Files.list(walDir)) {
            written = names.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}"))
                    .filter(n -> n.compareTo(first) >= 0 && n.compareTo(last) < 0).sorted().toList();
        }
        assertThat(written).as("the filler's WAL spans several 1 MiB segments").hasSizeGreaterThanOrEqualTo(3);

        String good = written.get(0);
        String damaged = written.get(1);
        String after = written.get(2);
        byte[] body = Files.readAllBytes(walDir.resolve(damaged));
        body[body.length / 2 + 100] ^= (byte) 0xFF; // past the page's header: inside a record
        assertThat(push(good, Files.readAllBytes(walDir.resolve(good)))).isEqualTo(201);
        assertThat(push(damaged, body)).as("the header is valid: the push itself accepts the file").isEqualTo(201);
        assertThat(push(after, Files.readAllBytes(walDir.resolve(after)))).isEqualTo(201);

        JsonNode named = awaitDamaged(Duration.ofSeconds(90));
        assertThat(named.size()).as(named.toString()).isEqualTo(1);
        assertThat(named.get(0).path("name").asString()).isEqualTo(damaged);
        assertThat(named.get(0).path("finding").asString()).contains("error in WAL record at");

        JsonNode health = api.get("/actuator/health/backups").json().path("components").path("clusters")
                .path("components").path(CLUSTER);
        assertThat(health.path("status").asString()).as(health.toString()).isEqualTo("DOWN");
        assertThat(health.path("details").path("problems").toString()).contains(damaged).contains("does not decode");
    }

    /** The archive summary's damaged segments once the background read named one, within a bounded time. */
    private JsonNode awaitDamaged(Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            JsonNode summary = api.get("/api/v1/clusters/" + CLUSTER + "/wal").json();
            if (!summary.path("damagedSegments").isEmpty() || Instant.now().isAfter(deadline)) {
                assertThat(summary.path("damagedSegments").isEmpty()).as("no damaged segment named in time: %s",
                        summary).isFalse();
                return summary.path("damagedSegments");
            }
            Thread.sleep(250);
        }
    }

    private int push(String name, byte[] body) throws Exception {
        HttpResponse<String> pushed = HttpClient.newHttpClient().send(Api.authorized(HttpRequest.newBuilder(
                URI.create(api.base() + "/api/v1/clusters/" + CLUSTER + "/wal/" + name)))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        return pushed.statusCode();
    }
}
