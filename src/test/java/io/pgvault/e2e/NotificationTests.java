package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.pgvault.testing.PgCluster;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Webhooks: a receiver in the test gets signed payloads, retried after an error, and each risk once. */
class NotificationTests extends EndToEndTest {

    static final String CLUSTER = "notified";
    static final String DB = "notified db";
    static final JsonMapper JSON = JsonMapper.builder().build();
    static PgCluster pg;

    record Received(Map<String, String> headers, String body) {
    }

    @Autowired
    JdbcTemplate catalog;

    HttpServer receiver;
    final List<Received> received = new CopyOnWriteArrayList<>();
    final AtomicInteger failuresToGive = new AtomicInteger();

    @BeforeAll
    static void seed() {
        pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE t (id int)", "INSERT INTO t VALUES (1)");
        }
    }

    @BeforeEach
    void listen() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
            received.add(new Received(headers, body));
            int status = failuresToGive.getAndDecrement() > 0 ? 500 : 204;
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stop() {
        receiver.stop(0);
    }

    @Test
    void aFailedJobIsPostedSignedAndRetriedAndAnRpoBreachOnce() throws Exception {
        Api.Response created = api.post("/api/v1/notifications", Map.of("url", url(),
                "events", List.of("JOB_FAILED", "RPO_BREACHED")));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.field("id");
        String secret = created.field("secret");
        assertThat(secret).matches("[0-9a-f]{64}");
        assertThat(api.get("/api/v1/notifications/" + id).body()).doesNotContain(secret).contains("\"secretSet\":true");
        assertThat(catalog.queryForObject("select secret from webhook where id = ?", String.class,
                java.util.UUID.fromString(id))).as("sealed at rest").startsWith("v2:").doesNotContain(secret);

        Map<String, Object> cluster = new LinkedHashMap<>(Map.of("name", CLUSTER, "host", pg.host(), "port", pg.port(),
                "username", pg.superuser()));
        assertThat(api.post("/api/v1/clusters", cluster).status()).isIn(201, 409);
        failuresToGive.set(1);
        JsonNode job = api.startBackup(CLUSTER, Map.of("kind", "DUMP", "database", DB, "tables", List.of("nope")));
        String jobId = job.path("id").asString();
        assertThat(api.awaitJob(jobId, Duration.ofMinutes(1)).path("status").asString()).isEqualTo("FAILED");

        List<Received> forJob = await(r -> r.body().contains(jobId), 2);
        for (Received r : forJob) {
            assertThat(r.headers().get("x-pgvault-event")).isEqualTo("JOB_FAILED");
            String expected = "sha256=" + hmac(secret, r.headers().get("x-pgvault-timestamp") + "." + r.body());
            assertThat(r.headers().get("x-pgvault-signature")).isEqualTo(expected);
            assertThat(Math.abs(Long.parseLong(r.headers().get("x-pgvault-timestamp")) - Instant.now().getEpochSecond()))
                    .isLessThan(60);
        }
        JsonNode payload = JSON.readTree(forJob.get(1).body());
        assertThat(payload.path("event").asString()).isEqualTo("JOB_FAILED");
        assertThat(payload.path("cluster").asString()).isEqualTo(CLUSTER);
        assertThat(payload.path("details").path("jobId").asString()).isEqualTo(jobId);
        assertThat(payload.path("summary").asString()).contains("failed");
        assertThat(forJob.get(0).headers().get("x-pgvault-delivery")).isEqualTo(payload.path("id").asString());

        JsonNode delivery = deliveryOf(id, payload.path("id").asString());
        assertThat(delivery.path("status").asString()).isEqualTo("DELIVERED");
        assertThat(delivery.path("attempts").asInt()).isEqualTo(2);
        assertThat(delivery.path("lastStatusCode").asInt()).isEqualTo(204);

        cluster.put("rpo", "PT1S");
        cluster.remove("name");
        assertThat(api.patch("/api/v1/clusters/" + CLUSTER, cluster).status()).isEqualTo(200);
        await(r -> r.body().contains("\"RPO_BREACHED\"") && r.body().contains("\"" + CLUSTER + "\""), 1);
        Api.sleep(3000);
        assertThat(received.stream().filter(r -> r.body().contains("\"RPO_BREACHED\"")
                && r.body().contains("\"" + CLUSTER + "\"")).count()).as("a breach is announced once").isEqualTo(1);

        cluster.remove("rpo");
        assertThat(api.patch("/api/v1/clusters/" + CLUSTER, cluster).status()).isEqualTo(200);
        assertThat(api.delete("/api/v1/notifications/" + id).status()).isEqualTo(204);
        assertThat(api.get("/api/v1/notifications/" + id).status()).isEqualTo(404);
    }

    @Test
    void aReceiverThatNeverAnswersEndsAsFailedAfterTheLastAttempt() throws Exception {
        int dead = io.pgvault.testing.Ports.free(); // reserved and never listened on: no other fork's server either
        Api.Response created = api.post("/api/v1/notifications", Map.of("url", "http://127.0.0.1:" + dead + "/x",
                "events", List.of("JOB_FAILED"), "secret", "a secret of sixteen+"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.json().path("secret").isMissingNode() || created.json().path("secret").isNull()).isTrue();
        String id = created.field("id");
        api.register(CLUSTER, pg);
        JsonNode job = api.startBackup(CLUSTER, Map.of("kind", "DUMP", "database", DB, "tables", List.of("nope")));
        api.awaitJob(job.path("id").asString(), Duration.ofMinutes(1));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode last;
        do {
            Api.sleep(200);
            last = api.get("/api/v1/notifications/" + id + "/deliveries").json().path(0);
        } while (!"FAILED".equals(last.path("status").asString()) && System.nanoTime() < deadline);
        assertThat(last.path("status").asString()).as(last.toString()).isEqualTo("FAILED");
        assertThat(last.path("attempts").asInt()).isEqualTo(3);
        assertThat(last.path("lastError").asString()).contains("ConnectException");
        assertThat(api.delete("/api/v1/notifications/" + id).status()).isEqualTo(204);
    }

    @Test
    void badWebhooksAreRefused() {
        List<Object[]> cases = List.of(
                new Object[] {Map.of("url", "ftp://example.com/x", "events", List.of("JOB_FAILED")), "http or https"},
                new Object[] {Map.of("url", "http://user:pw@example.com/x", "events", List.of("JOB_FAILED")), "credentials"},
                new Object[] {Map.of("url", "http://example.com/x", "events", List.of()), "events is required"},
                new Object[] {Map.of("url", "http://example.com/x", "events", List.of("NOPE")), "NOPE"},
                new Object[] {Map.of("url", "http://example.com/x", "events", List.of("JOB_FAILED"), "secret", "short"),
                        "secret"},
                new Object[] {Map.of("events", List.of("JOB_FAILED")), "url is required"});
        int before = api.get("/api/v1/notifications").json().size();
        for (Object[] c : cases) {
            Api.Response r = api.post("/api/v1/notifications", (Map<String, ?>) c[0]);
            assertThat(r.status()).as("%s -> %s", c[0], r.body()).isEqualTo(400);
            assertThat(r.contentType()).startsWith("application/problem+json");
            assertThat(r.body()).as("%s", c[0]).contains((String) c[1]);
        }
        assertThat(api.get("/api/v1/notifications").json().size()).isEqualTo(before);
    }

    private String url() {
        return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    }

    private List<Received> await(java.util.function.Predicate<Received> match, int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            List<Received> found = received.stream().filter(match).toList();
            if (found.size() >= count) {
                return found;
            }
            assertThat(System.nanoTime()).as("received %s", received).isLessThan(deadline);
            Api.sleep(100);
        }
    }

    private JsonNode deliveryOf(String webhook, String deliveryId) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            for (JsonNode d : api.get("/api/v1/notifications/" + webhook + "/deliveries").json()) {
                if (d.path("id").asString().equals(deliveryId) && !"PENDING".equals(d.path("status").asString())) {
                    return d;
                }
            }
            assertThat(System.nanoTime()).as("delivery %s still pending", deliveryId).isLessThan(deadline);
            Api.sleep(100);
        }
    }

    private static String hmac(String secret, String text) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }
}
