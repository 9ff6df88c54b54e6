package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.TableFingerprint;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * Every logical format, end to end through the API with the real tools: back up a seeded database
 * (several schemas, a quoted mixed-case table, a large object, a name with a space), restore it into
 * a new database, and compare row counts and a content hash per table with the source.
 */
class LogicalBackupRoundTripTests extends EndToEndTest {

    static final String CLUSTER = "shared";
    static final String SOURCE = "shop db";
    static PgCluster source;
    static Map<String, TableFingerprint> expected;

    @BeforeAll
    static void seed() {
        source = PgCluster.shared();
        if (!source.databaseExists(SOURCE)) {
            source.createDatabase(SOURCE);
            PgCluster.seedLogicalFixture(source, SOURCE);
        }
        expected = source.fingerprints(SOURCE);
        assertThat(expected).containsKeys("sales.OrderLines", "pg_largeobject");
        assertThat(expected.get("pg_largeobject").rows()).isPositive();
    }

    static Stream<Arguments> formats() {
        return Stream.of(
                Arguments.of("custom", Map.of("format", "CUSTOM"), Map.of("jobs", 2)),
                Arguments.of("directory", Map.of("format", "DIRECTORY", "jobs", 2, "compression", 5), Map.of("jobs", 2)),
                Arguments.of("tar", Map.of("format", "TAR"), Map.of()),
                Arguments.of("plain", Map.of("format", "PLAIN"), Map.of()),
                Arguments.of("plain gz", Map.of("format", "PLAIN", "compression", 6), Map.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("formats")
    void backsUpAndRestoresEveryFormat(String name, Map<String, Object> options, Map<String, Object> restoreOptions) {
        api.register(CLUSTER, source);
        Map<String, Object> request = new HashMap<>(options);
        request.put("kind", "DUMP");
        request.put("database", SOURCE);
        request.put("label", "round trip " + name);
        JsonNode backup = api.backup(CLUSTER, request);

        String id = backup.path("id").asString();
        assertThat(backup.path("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(backup.path("format").asString()).isEqualTo(options.get("format"));
        assertThat(backup.path("sizeBytes").asLong()).isPositive();
        assertThat(backup.path("sha256").asString()).hasSize(64);
        assertThat(backup.path("files").size()).isPositive();
        assertThat(backup.path("serverVersion").asString()).isNotBlank();
        assertThat(backup.path("toolVersion").asString()).isNotBlank();
        assertThat(backup.path("label").asString()).isEqualTo("round trip " + name);
        long total = 0;
        for (JsonNode file : backup.path("files")) {
            assertThat(file.path("sha256").asString()).hasSize(64);
            total += file.path("sizeBytes").asLong();
        }
        assertThat(total).isEqualTo(backup.path("sizeBytes").asLong());

        JsonNode verified = api.awaitVerification(id, Duration.ofMinutes(1));
        assertThat(verified.path("verification").path("status").asString())
                .as(verified.path("verification").toString()).isEqualTo("PASSED");
        assertThat(verified.path("verification").path("level").asString()).isEqualTo("LIST");

        String target = "restored " + name;
        try {
            Map<String, Object> restore = new HashMap<>(restoreOptions);
            restore.put("targetDatabase", target);
            restore.put("createDatabase", true);
            api.restore(id, restore);
            assertThat(source.fingerprints(target)).isEqualTo(expected);
        } finally {
            if (source.databaseExists(target)) {
                source.dropDatabase(target);
            }
        }
    }

    @Test
    void restoreErrorsFailTheJobAndKeepWhatPgRestoreReported() {
        api.register(CLUSTER, source);
        String id = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", SOURCE)).path("id").asString();
        String target = "restored twice";
        try {
            api.restore(id, Map.of("targetDatabase", target, "createDatabase", true));
            // the rows are there already: loading them again breaks the primary keys
            Api.Response again = api.post("/api/v1/backups/" + id + "/restores", Map.of("targetDatabase", target,
                    "dataOnly", true));
            assertThat(again.status()).isEqualTo(202);
            JsonNode failed = api.awaitJob(again.field("id"), Duration.ofMinutes(2));
            assertThat(failed.path("status").asString()).isEqualTo("FAILED");
            assertThat(failed.path("error").asString()).contains("pg_restore failed with exit code 1");
            assertThat(api.get("/api/v1/jobs/" + again.field("id") + "/log").body())
                    .contains("duplicate key value").contains("errors ignored on restore");

            api.restore(id, Map.of("targetDatabase", target, "clean", true));
            assertThat(source.fingerprints(target)).isEqualTo(expected);
        } finally {
            if (source.databaseExists(target)) {
                source.dropDatabase(target);
            }
        }
    }

    @Test
    void clusterDumpRestoresIntoAnotherCluster() {
        api.register(CLUSTER, source);
        JsonNode backup = api.backup(CLUSTER, Map.of("kind", "DUMP_ALL", "compression", 3));
        assertThat(backup.path("files").get(0).path("path").asString()).isEqualTo("dumpall.sql.gz");
        assertThat(api.awaitVerification(backup.path("id").asString(), Duration.ofMinutes(1))
                .path("verification").path("status").asString()).isEqualTo("PASSED");

        try (PgCluster other = PgCluster.start("dumpall-target")) {
            api.register("dumpall-target", other);
            api.restore(backup.path("id").asString(), Map.of("targetCluster", "dumpall-target"));
            assertThat(other.fingerprints(SOURCE)).isEqualTo(expected);
            assertThat(api.delete("/api/v1/clusters/dumpall-target").status()).isEqualTo(204);
        }
    }

    @Test
    void globalsOnlyHoldsRolesButNoTables() throws Exception {
        api.register(CLUSTER, source);
        JsonNode backup = api.backup(CLUSTER, Map.of("kind", "DUMP_ALL", "globalsOnly", true));
        String sql = new String(api.download("/api/v1/backups/" + backup.path("id").asString() + "/content"),
                StandardCharsets.UTF_8);
        assertThat(sql).contains("CREATE ROLE postgres").doesNotContain("CREATE TABLE");
        assertThat(sha256(sql.getBytes(StandardCharsets.UTF_8))).isEqualTo(backup.path("sha256").asString());
    }

    @Test
    void aDirectoryDumpDownloadsAsATarOfItsFiles() throws Exception {
        api.register(CLUSTER, source);
        JsonNode backup = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", SOURCE, "format", "DIRECTORY"));
        Map<String, String> catalog = new LinkedHashMap<>();
        backup.path("files").forEach(f -> catalog.put(f.path("path").asString(), f.path("sha256").asString()));
        assertThat(catalog).containsKey("dump/toc.dat");

        Map<String, String> downloaded = new LinkedHashMap<>();
        byte[] tar = api.download("/api/v1/backups/" + backup.path("id").asString() + "/content");
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            TarArchiveEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                downloaded.put(entry.getName(), sha256(in.readAllBytes()));
            }
        }
        assertThat(downloaded).isEqualTo(catalog);
    }

    @Test
    void listsAndFiltersTheCatalogNewestFirst() {
        api.register(CLUSTER, source);
        api.backup(CLUSTER, Map.of("kind", "DUMP", "database", SOURCE, "schemas", java.util.List.of("sales")));
        JsonNode newest = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", SOURCE, "schemaOnly", true));
        JsonNode page = api.get("/api/v1/backups?cluster=" + CLUSTER + "&kind=DUMP&status=SUCCEEDED&size=1").json();
        assertThat(page.path("content").get(0).path("id").asString()).isEqualTo(newest.path("id").asString());
        assertThat(page.path("totalElements").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(api.get("/api/v1/backups?kind=DUMP_ALL&cluster=nobody").json().path("totalElements").asLong())
                .isZero();
        JsonNode cluster = api.get("/api/v1/clusters/" + CLUSTER).json();
        assertThat(cluster.path("reachable").asBoolean()).isTrue();
        assertThat(cluster.path("lastBackup").path("id").asString()).isNotBlank();
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
