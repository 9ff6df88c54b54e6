package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.S3Server;
import java.nio.file.Path;
import java.util.Map;
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
 * real S3 server (S3Proxy) is listed and probed as reachable and writable, one whose bucket is missing is
 * DOWN with the reason in the API and in /actuator/health, and no answer shows a credential.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RepositoriesTests {

    static final Path HOME = Api.tempDirectory("pgvault-repositories");
    static final S3Server S3 = S3Server.start("pgvault-offsite");


    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:pgvault-repositories;DB_CLOSE_DELAY=-1");
        registry.add("pgvault.storage.local.root", () -> HOME.resolve("unused-root").toString());
        registry.add("pgvault.storage.local.min-free-bytes", () -> "0");
        registry.add("pgvault.security.key-file", () -> HOME.resolve("pgvault.key").toString());
        registry.add("pgvault.security.admin-token", () -> Api.ADMIN_TOKEN);
        registry.add("pgvault.jobs.instance-name", () -> "repositories");
        registry.add("pgvault.jobs.poll-interval", () -> "200ms");
        registry.add("pgvault.repository", () -> "main");
        registry.add("pgvault.repositories.main.type", () -> "local");
        registry.add("pgvault.repositories.main.path", () -> HOME.resolve("main").toString());
        S3.registerRepository(registry, "offsite");
        registry.add("pgvault.repositories.offsite.prefix", () -> "pgvault");
        S3.registerRepository(registry, "gone", S3::endpoint, "no-such-bucket");
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
        S3.close();
    }

    @Test
    void repositoriesAreListedWithTheirHealthAndNeverWithACredential() throws InterruptedException {
        Api.Response listed = api.get("/api/v1/repositories");
        // probes run in the background: wait (bounded) until each has answered once
        for (long deadline = System.nanoTime() + 60_000_000_000L; listed.body().contains("\"UNKNOWN\"")
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

        JsonNode gone = byName(listed.json(), "gone");
        assertThat(gone.path("health").path("status").asString()).isEqualTo("DOWN");
        assertThat(gone.path("health").path("detail").asString()).contains("no-such-bucket");

        JsonNode health = api.get("/actuator/health").json().path("components").path("repositories");
        assertThat(health.path("status").asString()).as(health.toString()).isEqualTo("DOWN");
        assertThat(health.path("details").path("offsite").path("writable").asBoolean()).isTrue();
        assertThat(health.path("details").path("gone").path("reachable").asBoolean()).isFalse();
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
}
