package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Swagger UI and the OpenAPI document cover every endpoint; health shows catalog and storage, not the clusters. */
class ApiDocsAndHealthTests extends EndToEndTest {

    @Test
    void openApiDocumentsEveryEndpoint() {
        JsonNode paths = api.get("/v3/api-docs").json().path("paths");
        assertThat(paths.propertyNames()).contains("/api/v1/clusters", "/api/v1/clusters/{name}",
                "/api/v1/clusters/{name}/check", "/api/v1/clusters/{name}/backups", "/api/v1/backups",
                "/api/v1/backups/{id}", "/api/v1/backups/{id}/content", "/api/v1/backups/{id}/verifications",
                "/api/v1/backups/{id}/restores", "/api/v1/jobs", "/api/v1/jobs/{id}", "/api/v1/jobs/{id}/log",
                "/api/v1/jobs/{id}/cancel");
        assertThat(paths.path("/api/v1/clusters/{name}/backups").path("post").path("summary").asString())
                .isEqualTo("Start a backup");
        assertThat(api.get("/swagger-ui/index.html").status()).isEqualTo(200);
        assertThat(api.get("/swagger-ui.html").status()).isIn(200, 302);
    }

    @Test
    void healthIncludesCatalogAndStorage() {
        // a cluster of its own, so that the group "backups" has one whichever classes ran before (alone it had none)
        api.register("health-docs", PgCluster.shared());
        JsonNode health = api.get("/actuator/health").json();
        // other tests leave clusters at risk on purpose (a failed last backup): that shows in the group backups only
        assertThat(health.path("status").asString()).as(health.toString()).isEqualTo("UP");
        assertThat(health.path("components").has("clusters")).as(health.toString()).isFalse();
        assertThat(api.get("/actuator/health/backups").json().path("components").propertyNames())
                .containsExactly("clusters");
        assertThat(health.path("components").path("catalog").path("status").asString()).isEqualTo("UP");
        JsonNode storage = health.path("components").path("storage");
        assertThat(storage.path("status").asString()).isEqualTo("UP");
        assertThat(storage.path("details").path("writable").asBoolean()).isTrue();
        assertThat(storage.path("details").path("freeBytes").asLong()).isPositive();
        assertThat(health.path("components").path("repositories").path("status").asString()).isEqualTo("UP");
        assertThat(health.path("components").path("repositories").path("details").path("local").path("writable")
                .asBoolean()).isTrue();
        assertThat(api.get("/actuator/health/liveness").status()).isEqualTo(200);
        assertThat(api.get("/actuator/prometheus").body()).contains("jvm_memory_used_bytes");
    }
}
