package io.pgvault.api;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.tags.Tag;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Title, description, security and tags of the API document. The tags are listed here, in the order a user
 * meets them (register a cluster, back it up, watch the job, restore, archive WAL, recover...), because Swagger
 * UI and generated clients show them in the document's order, and springdoc would otherwise order them as it
 * happens to find the controllers. Nothing re-sorts them later: Swagger UI has no tagsSorter set and
 * springdoc.writer-with-order-by-keys stays off.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    static final List<Tag> TAGS = List.of(
            tag("Clusters", "PostgreSQL servers that pgvault protects: register, check, change, remove"),
            tag("Backups", "Start DUMP, DUMP_ALL and BASE backups, read the catalog, download, pin, verify, copy "
                    + "to other repositories"),
            tag("Jobs", "Asynchronous work (backups, restores, recoveries, verifications, retention, copies): "
                    + "state, progress, log, cancel"),
            tag("Restores", "Restore backups into databases or new data directories"),
            // "Wal", not "WAL": generators make class names of tags (WalArchiveApi, not WALArchiveApi)
            tag("Wal archive", "The WAL archive: archive_command and restore_command endpoints, and the archive's "
                    + "state"),
            tag("Proofs", "The WAL archive proven by replay: a scratch server restored from a BASE backup replays "
                    + "every archived segment, daily, continuously or on demand"),
            tag("Recoveries", "Point-in-time recovery from a base backup and the WAL archive"),
            tag("Extractions", "Tables, schemas or a database as of a point in time, out of a backup into a live "
                    + "cluster, without a full restore"),
            tag("Schedules", "Backups on a cron, with retention and verification"),
            tag("Retention", "What a cluster keeps, and the expiry of the rest"),
            tag("Repositories", "Where backups and WAL are kept, and whether each place works"),
            tag("Instances", "The pgvault instances that serve this catalog, their hosts, heartbeats and jobs"),
            tag("Notifications", "Signed webhooks for failures and risks, with retries and history"),
            tag("Tokens", "API tokens (ADMIN only). Only their SHA-256 is stored; the value is shown once"),
            tag("Audit", "Who did what to which cluster or backup, when, and how it ended (ADMIN only)"));

    @Bean
    OpenAPI pgvaultOpenApi() {
        return new OpenAPI()
                .components(new Components().addSecuritySchemes("token", new SecurityScheme()
                        .type(SecurityScheme.Type.HTTP).scheme("bearer")
                        .description("An API token (pgv_...), or a cluster's archive token for its WAL")))
                .addSecurityItem(new SecurityRequirement().addList("token"))
                .tags(new ArrayList<>(TAGS))
                .info(new Info().title("pgvault API").version("v1").description("""
                Protects PostgreSQL clusters. Logical backups with pg_dump (DUMP, one database) and pg_dumpall \
                (DUMP_ALL), physical BASE backups with pg_basebackup; every backup is recorded with its files, sizes \
                and SHA-256 checksums, verified (CHECKSUM, LIST, or a RESTORE drill), restorable, and can be copied \
                to other repositories. pgvault keeps each cluster's WAL archive (archive_command and \
                restore_command point at it) and recovers a cluster to a point in time (PITR). Schedules take \
                backups on a cron with retention and verification; webhooks report failures and risks.

                Long work answers 202 Accepted with the job in the body and its Location; follow it at \
                /api/v1/jobs/{id} (waitSeconds waits for its end). Errors are application/problem+json (RFC 9457) \
                with a detail that says what to change. Every endpoint needs a bearer token (Authorize): VIEWER \
                reads, OPERATOR backs up, verifies and restores to new targets, ADMIN does everything."""));
    }

    /**
     * Keeps the tags in {@link #TAGS}' order, once each: springdoc adds a controller's {@code @Tag} again when its
     * description differs from the one here. A tag missing from the list goes last.
     */
    @Bean
    OpenApiCustomizer tagsInTheOrderAUserWorks() {
        List<String> order = TAGS.stream().map(Tag::getName).toList();
        return openApi -> {
            if (openApi.getTags() != null) {
                Map<String, Tag> byName = new LinkedHashMap<>();
                openApi.getTags().forEach(t -> byName.putIfAbsent(t.getName(), t));
                Comparator<Tag> byOrder = Comparator.comparingInt(t -> order.contains(t.getName())
                        ? order.indexOf(t.getName()) : order.size());
                openApi.setTags(byName.values().stream().sorted(byOrder)
                        .collect(Collectors.toCollection(ArrayList::new)));
            }
        };
    }

    private static Tag tag(String name, String description) {
        return new Tag().name(name).description(description);
    }
}
