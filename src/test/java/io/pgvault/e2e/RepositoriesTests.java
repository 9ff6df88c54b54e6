package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.Relay;
import io.pgvault.testing.S3Server;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Named repositories: a configured local default repository is where backups go, an S3 repository on a
 * real S3 server (S3Proxy) is listed and probed as reachable and writable, and no answer shows a credential.
 * Health never waits on a repository: an S3 repository reached through a relay that stops answering leaves 50
 * concurrent anonymous {@code /actuator/health} requests answered, and becomes DOWN with the reason once its
 * probe's timeout passed; misconfigured repositories (a missing bucket, wrong credentials) are DOWN with the
 * setting to fix, in the API and in /actuator/health. (One server and one S3Proxy for both questions: they were
 * two classes with a Spring context and an S3Proxy each.)
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RepositoriesTests {

    static final Path HOME = Api.tempDirectory("pgvault-repositories");
    static final S3Server S3 = S3Server.start("pgvault-offsite");
    static final Relay RELAY = new Relay(S3.port());

    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) {
        Api.ownServer(registry, "repositories", HOME);
        registry.add("pgvault.storage.local.root", () -> HOME.resolve("unused-root").toString());
        registry.add("pgvault.storage.probe.timeout", () -> "2s");
        registry.add("pgvault.storage.probe.interval", () -> "1s");
        registry.add("pgvault.repository", () -> "main");
        registry.add("pgvault.repositories.main.type", () -> "local");
        registry.add("pgvault.repositories.main.path", () -> HOME.resolve("main").toString());
        S3.registerRepository(registry, "offsite");
        registry.add("pgvault.repositories.offsite.prefix", () -> "pgvault");
        S3.registerRepository(registry, "flaky", () -> "http://127.0.0.1:" + RELAY.port(), S3.bucket());
        S3.registerRepository(registry, "nobucket", S3::endpoint, "no-such-bucket");
        S3.registerRepository(registry, "badkeys", S3::endpoint, S3.bucket());
        registry.add("pgvault.repositories.badkeys.secret-key", () -> "not-the-secret");
    }

    @LocalServerPort
    int port;
    Api api;

    @BeforeEach
    void client() {
        api = new Api(port);
    }

    @AfterAll
    static void stop() {
        RELAY.close();
        S3.close();
    }

    @Test
    void repositoriesAreListedWithTheirHealthAndNeverWithACredential() throws InterruptedException {
        Api.Response listed = api.get("/api/v1/repositories");
        // probes run in the background: wait (bounded) until each has answered once and the reachable bucket's
        // last probe found it UP (the probe's timeout here is the short one the hang test below needs, which a
        // loaded machine may miss once)
        for (long deadline = System.nanoTime() + 60_000_000_000L; (listed.body().contains("\"UNKNOWN\"")
                || !byName(listed.json(), "offsite").path("health").path("status").asString().equals("UP"))
                && System.nanoTime() < deadline; listed = api.get("/api/v1/repositories")) {
            Thread.sleep(200);
        }
        assertThat(listed.status()).as(listed.body()).isEqualTo(200);
        assertThat(listed.body()).doesNotContain(S3Server.SECRET_KEY);
        JsonNode main = byName(listed.json(), "main");
        assertThat(main.path("type").asString()).isEqualTo("local");
        assertThat(main.path("defaultRepository").asBoolean()).isTrue();
        assertThat(main.path("health").path("status").asString()).isEqualTo("UP");
        assertThat(main.path("health").path("freeBytes").asLong()).isPositive();

        JsonNode offsite = byName(listed.json(), "offsite");
        assertThat(offsite.path("type").asString()).isEqualTo("s3");
        assertThat(offsite.path("location").asString()).contains("pgvault-offsite", S3.endpoint());
        assertThat(offsite.path("compression").asString()).isEqualTo("zstd");
        assertThat(offsite.path("health").path("status").asString()).as(offsite.toString()).isEqualTo("UP");
        assertThat(offsite.path("health").path("writable").asBoolean()).isTrue();

        JsonNode gone = byName(listed.json(), "nobucket");
        assertThat(gone.path("health").path("status").asString()).isEqualTo("DOWN");
        assertThat(gone.path("health").path("detail").asString()).contains("no-such-bucket");

        JsonNode health = api.get("/actuator/health").json().path("components").path("repositories");
        assertThat(health.path("status").asString()).as(health.toString()).isEqualTo("DOWN");
        assertThat(health.path("details").path("offsite").path("writable").asBoolean()).isTrue();
        assertThat(health.path("details").path("nobucket").path("reachable").asBoolean()).isFalse();
        assertThat(health.toString()).doesNotContain(S3Server.SECRET_KEY);
        assertThat(api.get("/v3/api-docs").json().path("paths").has("/api/v1/repositories")).isTrue();
    }

    @Test
    void backupsGoToTheDefaultLocalRepository() {
        PgCluster pg = PgCluster.shared();
        api.register("in-main", pg);
        JsonNode backup = api.backup("in-main", Map.of("kind", "DUMP", "database", "postgres"));
        assertThat(HOME.resolve("main").resolve("in-main").resolve("DUMP").resolve(backup.path("id").asString()))
                .isDirectory();
        assertThat(HOME.resolve("unused-root")).doesNotExist();
    }

    private static JsonNode byName(JsonNode list, String name) {
        for (JsonNode r : list) {
            if (r.path("name").asString().equals(name)) {
                return r;
            }
        }
        throw new AssertionError("no repository " + name + " in " + list);
    }

    @Test
    void aBucketThatStopsAnsweringNeverHoldsHealthAndIsDownWithTheReason() throws Exception {
        Api admin = new Api(port);
        await(admin, "flaky", h -> h.path("status").asString().equals("UP"));

        RELAY.hang(true);
        try {
            HttpClient anonymous = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                requests.add(anonymous.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/actuator/health")).timeout(Duration.ofSeconds(30)).GET().build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            // bounded, generous: an inline probe of a hung bucket holds a request for the SDK's retries (minutes)
            CompletableFuture.allOf(requests.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
            for (CompletableFuture<HttpResponse<String>> r : requests) {
                assertThat(r.get().statusCode()).isIn(200, 503);
                assertThat(r.get().body()).contains("\"status\"").doesNotContain("flaky");
            }

            JsonNode flaky = await(admin, "flaky", h -> h.path("status").asString().equals("DOWN"));
            assertThat(flaky.path("detail").asString()).contains("no answer within", "pgvault.storage.probe.timeout");
            assertThat(flaky.has("ageSeconds")).isTrue();
            JsonNode listed = admin.get("/api/v1/repositories").json();
            for (JsonNode r : listed) {
                if (r.path("name").asString().equals("flaky")) {
                    assertThat(r.path("health").path("status").asString()).isEqualTo("DOWN");
                }
            }
        } finally {
            RELAY.hang(false);
        }
        await(admin, "flaky", h -> h.path("status").asString().equals("UP"));
    }

    @Test
    void misconfiguredRepositoriesAreDownWithTheSettingToFix() {
        Api admin = new Api(port);
        JsonNode nobucket = await(admin, "nobucket", h -> h.path("status").asString().equals("DOWN"));
        assertThat(nobucket.path("detail").asString())
                .contains("no-such-bucket", "pgvault.repositories.nobucket.bucket");
        JsonNode badkeys = await(admin, "badkeys", h -> h.path("status").asString().equals("DOWN"));
        assertThat(badkeys.path("detail").asString()).contains("pgvault.repositories.badkeys.access-key")
                .doesNotContain("not-the-secret", S3Server.SECRET_KEY);
        assertThat(await(admin, "main", h -> !h.path("status").asString().equals("UNKNOWN")).path("status").asString())
                .isEqualTo("UP");
    }

    /** The repository's entry in /actuator/health once it satisfies {@code until}; fails after 60 s. */
    private static JsonNode await(Api admin, String name, Predicate<JsonNode> until) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode entry;
        do {
            entry = admin.get("/actuator/health").json().path("components").path("repositories").path("details")
                    .path(name);
            if (until.test(entry)) {
                return entry;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("repository " + name + " never got there: " + entry);
    }
}
