package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.PgvaultApplication;
import io.pgvault.storage.Repositories;
import io.pgvault.storage.crypto.MissingKeyMaterialException;
import io.pgvault.storage.crypto.RepositoryKeys;
import io.pgvault.testing.PgCluster;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * A lost key file is noticed, never silently replaced: with the default repository's key file moved aside, or
 * replaced by another key, pgvault does not start and says which key ids are missing and which file should
 * hold them; another repository whose key file is gone is DOWN and refuses to write. A key rotates without a
 * restart through the API, and what the older key encrypted stays readable.
 */
@ExtendWith(OutputCaptureExtension.class)
class KeyLossTests {

    @TempDir
    Path home;

    @Test
    void aLostKeyFileStopsTheStartOrTheRepositoryInsteadOfBeingReplaced(CapturedOutput output) throws Exception {
        Path vaultKey = home.resolve("keys/vault.key");
        Path offsiteKey = home.resolve("keys/offsite.key");
        String first;
        String rotated;
        try (ConfigurableApplicationContext app = start()) {
            Api api = new Api(port(app));
            api.register("keys", PgCluster.shared());
            JsonNode before = api.backup("keys", Map.of("kind", "DUMP", "database", "postgres"));
            first = before.path("files").get(0).path("keyId").asString();

            Api.Response anonymous = api.as(null).post("/api/v1/repositories/vault/keys", Map.of());
            assertThat(anonymous.status()).isEqualTo(401);
            Api.Response rotation = api.post("/api/v1/repositories/vault/keys", Map.of());
            assertThat(rotation.status()).as(rotation.body()).isEqualTo(201);
            rotated = rotation.json().path("currentKeyId").asString();
            assertThat(rotated).matches("[0-9a-f]{8}").isNotEqualTo(first);
            assertThat(rotation.json().path("keyIds").toString()).contains(first, rotated);
            assertThat(rotation.body()).doesNotContain("keyData", "value");

            JsonNode after = api.backup("keys", Map.of("kind", "DUMP", "database", "postgres"));
            assertThat(after.path("files").get(0).path("keyId").asString()).isEqualTo(rotated);
            assertThat(api.get("/api/v1/backups/" + before.path("id").asString() + "/content").status())
                    .as("what the older key encrypted is still read").isEqualTo(200);

            app.getBean(Repositories.class).configured("offsite").orElseThrow().store()
                    .put("keys/DUMP/x/dump.custom", new ByteArrayInputStream(new byte[] {1, 2, 3}));
        }

        // the key file moved aside: no new key, no start
        Path aside = Files.move(vaultKey, home.resolve("vault.key.aside"));
        assertThatThrownBy(this::start).hasRootCauseInstanceOf(MissingKeyMaterialException.class);
        assertThat(vaultKey).as("no key replaces the lost one").doesNotExist();
        assertThat(output.getAll()).contains("repository 'vault' (the default one) refuses to write",
                vaultKey.toString(), "key id", "Restore the key file");

        // another key in its place: the catalog names the keys it lacks
        Path other = home.resolve("other.key");
        RepositoryKeys.fromFiles(other, List.of());
        Files.copy(other, vaultKey, StandardCopyOption.COPY_ATTRIBUTES);
        assertThatThrownBy(this::start).hasRootCauseInstanceOf(MissingKeyMaterialException.class)
                .rootCause().hasMessageContaining("the catalog records files encrypted with key ids")
                .hasMessageContaining(first).hasMessageContaining(rotated);

        // the right key back, and a non-default repository's key lost: it alone refuses to write
        Files.move(aside, vaultKey, StandardCopyOption.REPLACE_EXISTING);
        Files.move(offsiteKey, home.resolve("offsite.key.aside"));
        try (ConfigurableApplicationContext app = start()) {
            Api api = new Api(port(app));
            JsonNode health = api.get("/actuator/health").json().path("components").path("repositories");
            assertThat(health.path("details").path("offsite").path("status").asString()).isEqualTo("DOWN");
            assertThat(health.path("details").path("offsite").path("detail").asString())
                    .contains(offsiteKey.toString(), "encrypted with key id", "encryption-old-key-files");
            JsonNode keys = api.get("/api/v1/repositories/offsite/keys").json();
            assertThat(keys.path("refusal").asString()).contains(offsiteKey.toString());
            assertThat(api.post("/api/v1/repositories/offsite/keys", Map.of()).status()).isEqualTo(409);
            assertThatThrownBy(() -> app.getBean(Repositories.class).configured("offsite").orElseThrow().store()
                    .put("keys/DUMP/y/dump.custom", new ByteArrayInputStream(new byte[] {1})))
                    .hasMessageContaining("refusing to write");
            assertThat(offsiteKey).doesNotExist();
            assertThat(api.get("/api/v1/repositories/vault/keys").json().path("currentKeyId").asString())
                    .isEqualTo(rotated);
        }
    }

    private ConfigurableApplicationContext start() {
        List<String> args = new ArrayList<>(List.of("--server.port=0",
                "--spring.datasource.url=jdbc:h2:file:" + home.resolve("catalog"),
                "--pgvault.storage.local.root=" + home.resolve("workspace"),
                "--pgvault.storage.local.min-free-bytes=0",
                "--pgvault.security.key-file=" + home.resolve("pgvault.key"),
                "--pgvault.security.admin-token=" + Api.ADMIN_TOKEN,
                "--pgvault.jobs.instance-name=key-loss",
                "--pgvault.jobs.poll-interval=200ms",
                "--pgvault.recovery.roots=" + PgCluster.recoveryRoot(),
                "--pgvault.recovery.drill-directory=" + PgCluster.recoveryRoot().resolve("drills"),
                "--pgvault.repository=vault"));
        for (String name : List.of("vault", "offsite")) {
            String prefix = "--pgvault.repositories." + name + ".";
            args.addAll(List.of(prefix + "type=local", prefix + "path=" + home.resolve(name),
                    prefix + "encryption=aes-256-gcm", prefix + "encryption-key-file=" + home.resolve("keys/" + name
                            + ".key")));
        }
        return new SpringApplicationBuilder(PgvaultApplication.class).run(args.toArray(String[]::new));
    }

    private static int port(ConfigurableApplicationContext app) {
        return ((WebServerApplicationContext) app).getWebServer().getPort();
    }
}
