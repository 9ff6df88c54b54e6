package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The production catalog: the same Flyway migrations and entity mappings (validated by Hibernate) on a
 * real PostgreSQL, with the job engine running a backup and its verification on it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class PostgresCatalogTests {

    static final String CATALOG = "pgvault_catalog";
    static final String DB = "catalog test db";

    @DynamicPropertySource
    static void catalogOnPostgres(DynamicPropertyRegistry registry) throws IOException {
        PgCluster pg = PgCluster.shared();
        if (pg.databaseExists(CATALOG)) {
            pg.dropDatabase(CATALOG);
        }
        pg.createDatabase(CATALOG);
        Path storage = Files.createTempDirectory("pgvault-pg-catalog");
        registry.add("spring.datasource.url", () -> pg.jdbcUrl(CATALOG));
        registry.add("spring.datasource.username", pg::superuser);
        registry.add("pgvault.storage.local.root", storage::toString);
        registry.add("pgvault.security.key-file", () -> storage.resolve("pgvault.key").toString());
        registry.add("pgvault.storage.local.min-free-bytes", () -> "0");
        registry.add("pgvault.security.admin-token", () -> Api.ADMIN_TOKEN);
        registry.add("pgvault.jobs.instance-name", () -> "pg-catalog");
        registry.add("pgvault.recovery.roots", () -> PgCluster.recoveryRoot().toString());
        registry.add("pgvault.recovery.drill-directory", () -> PgCluster.recoveryRoot().resolve("drills").toString());
    }

    @LocalServerPort
    int port;
    Api api;

    @BeforeEach
    void client() {
        api = new Api(port);
    }

    @Test
    void runsOnAPostgresCatalog() throws Exception {
        PgCluster pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE t (id int primary key, v text)",
                    "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g");
        }
        long migrations;
        try (var files = Files.list(Path.of(getClass().getResource("/db/migration").toURI()))) {
            migrations = files.filter(f -> f.getFileName().toString().matches("V\\d+__.+\\.sql")).count();
        }
        assertThat(migrations).isGreaterThanOrEqualTo(2);
        assertThat(pg.queryValue(CATALOG, "select count(*) from flyway_schema_history where success"))
                .isEqualTo(migrations);
        api.register("on-pg", pg);
        JsonNode backup = api.backup("on-pg", Map.of("kind", "DUMP", "database", DB, "format", "CUSTOM"));
        JsonNode verified = api.awaitVerification(backup.path("id").asString(), Duration.ofMinutes(1));
        assertThat(verified.path("verification").path("status").asString()).isEqualTo("PASSED");
        assertThat(pg.queryValue(CATALOG, "select count(*) from backup_file")).isEqualTo(1L);
        assertThat(api.get("/api/v1/jobs?cluster=on-pg&status=SUCCEEDED").json().path("totalElements").asLong())
                .isEqualTo(2);
        assertThat(api.get("/api/v1/backups?verification=PASSED&cluster=on-pg").json().path("totalElements").asLong())
                .isEqualTo(1);
        assertThat(api.get("/actuator/health").json().path("components").path("catalog").path("status").asString())
                .isEqualTo("UP");
    }
}
