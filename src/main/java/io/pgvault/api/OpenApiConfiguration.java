package io.pgvault.api;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Title and description of the API in Swagger UI. */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    @Bean
    OpenAPI pgvaultOpenApi() {
        return new OpenAPI().info(new Info().title("pgvault API").version("v1").description("""
                Backs up PostgreSQL (pg_dump, pg_dumpall), records every backup with its files, sizes and \
                SHA-256 checksums, verifies it, and restores it. Long work answers 202 Accepted with a job; \
                follow it at /api/v1/jobs/{id}. Errors are application/problem+json."""));
    }
}
