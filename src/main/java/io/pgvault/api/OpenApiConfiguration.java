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
        return new OpenAPI()
                .components(new io.swagger.v3.oas.models.Components().addSecuritySchemes("token",
                        new io.swagger.v3.oas.models.security.SecurityScheme()
                                .type(io.swagger.v3.oas.models.security.SecurityScheme.Type.HTTP).scheme("bearer")
                                .description("An API token (pgv_...), or a cluster's archive token for its WAL")))
                .addSecurityItem(new io.swagger.v3.oas.models.security.SecurityRequirement().addList("token"))
                .info(new Info().title("pgvault API").version("v1").description("""
                Backs up PostgreSQL (pg_dump, pg_dumpall), records every backup with its files, sizes and \
                SHA-256 checksums, verifies it, and restores it. Long work answers 202 Accepted with a job; \
                follow it at /api/v1/jobs/{id}. Errors are application/problem+json. Every endpoint needs a bearer \
                token (Authorize): VIEWER reads, OPERATOR backs up, verifies and restores to new targets, ADMIN \
                does everything."""));
    }
}
