package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Health never waits on a repository: an S3 repository reached through a relay that stops answering leaves 50
 * concurrent anonymous {@code /actuator/health} requests answered, and becomes DOWN with the reason once its
 * probe's timeout passed; misconfigured repositories (wrong bucket, wrong credentials) are DOWN with the setting
 * to fix.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RepositoryHealthTests {

    static final Path HOME = Api.tempDirectory("pgvault-repository-health");
    static final S3Server S3 = S3Server.start("pgvault-health");
    static final Relay RELAY = new Relay(S3.port());

    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) {
        Api.ownServer(registry, "repository-health", HOME);
        registry.add("pgvault.storage.local.root", () -> HOME.resolve("workspace").toString());
        registry.add("pgvault.storage.probe.timeout", () -> "2s");
        registry.add("pgvault.storage.probe.interval", () -> "1s");
        registry.add("pgvault.repository", () -> "main");
        registry.add("pgvault.repositories.main.type", () -> "local");
        registry.add("pgvault.repositories.main.path", () -> HOME.resolve("main").toString());
        S3.registerRepository(registry, "flaky", () -> "http://127.0.0.1:" + RELAY.port(), S3.bucket());
        S3.registerRepository(registry, "nobucket", S3::endpoint, "no-such-bucket");
        S3.registerRepository(registry, "badkeys", S3::endpoint, S3.bucket());
        registry.add("pgvault.repositories.badkeys.secret-key", () -> "not-the-secret");
    }

    @LocalServerPort
    int port;

    @AfterAll
    static void stop() {
        RELAY.close();
        S3.close();
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
