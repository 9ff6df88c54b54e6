package io.pgvault.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.PgvaultProperties;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up refuses every repository setting it could not honour, naming the setting. */
class RepositoriesConfigurationTests {

    /** Only named, never written: still this class's own directory, so that no setting points at a shared place. */
    @TempDir
    static Path ROOT;

    @Test
    void withoutConfigurationThereIsOneLocalRepositoryAtTheStorageRoot() {
        Repositories repositories = new Repositories(properties(Map.of(), null), Clock.systemUTC());
        assertThat(repositories.all()).singleElement().satisfies(r -> {
            assertThat(r.name()).isEqualTo("local");
            assertThat(r.isDefault()).isTrue();
            assertThat(r.path()).isEqualTo(ROOT.resolve("root"));
        });
    }

    @Test
    void theOnlyConfiguredRepositoryIsTheDefaultAndItsPathTheStorageRoot() {
        PgvaultProperties p = properties(Map.of("main", local(ROOT.resolve("main"))), null);
        assertThat(p.storageRoot()).isEqualTo(ROOT.resolve("main"));
        assertThat(new Repositories(p, Clock.systemUTC()).defaultRepository().name()).isEqualTo("main");
    }

    @Test
    void settingsPgvaultCannotHonourStopTheStart() {
        Map<String, PgvaultProperties.Repository> two = new LinkedHashMap<>();
        two.put("a", local(ROOT.resolve("a")));
        two.put("b", local(ROOT.resolve("b")));
        refused(properties(two, null), "name the default with pgvault.repository");
        refused(properties(Map.of("main", local(ROOT)), "other"), "pgvault.repository names 'other'");
        refused(properties(Map.of("main", repository("local", null, null, "zstd", "none")), null),
                "pgvault.repositories.main.path is required");
        refused(properties(Map.of("main", repository("ftp", ROOT, null, "zstd", "none")), null),
                "pgvault.repositories.main.type is 'ftp'");
        refused(properties(Map.of("main", repository("local", ROOT, null, "brotli", "none")), null),
                "pgvault.repositories.main.compression is 'brotli'");
        refused(properties(Map.of("main", repository("local", ROOT, null, "zstd", "aes-256-gcm")), null),
                "set pgvault.repositories.main.encryption-key-file");
        refused(properties(Map.of("cloud", repository("s3", null, null, "zstd", "none")), null),
                "pgvault.repositories.cloud.*: an S3 repository needs a bucket");
    }

    @Test
    void aProbeWithoutATimeoutIsRefused() {
        PgvaultProperties p = new PgvaultProperties(null, new PgvaultProperties.Storage(
                new PgvaultProperties.Storage.Local(ROOT.resolve("root"), 0),
                new PgvaultProperties.Storage.Sweep(java.time.Duration.ofHours(1), java.time.Duration.ofHours(1)),
                new PgvaultProperties.Storage.Probe(java.time.Duration.ZERO, java.time.Duration.ofSeconds(15))),
                null, null, null, null, null, null, null, Map.of(), null);
        refused(p, "pgvault.storage.probe.timeout must be positive");
    }

    private static void refused(PgvaultProperties p, String message) {
        assertThatThrownBy(() -> new Repositories(p, Clock.systemUTC())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(message);
    }

    private static PgvaultProperties.Repository local(Path path) {
        return repository("local", path, null, "zstd", "none");
    }

    private static PgvaultProperties.Repository repository(String type, Path path, String bucket, String compression,
            String encryption) {
        return new PgvaultProperties.Repository(type, path, "http://127.0.0.1:1", null, bucket, null, true, null, null,
                compression, encryption, null);
    }

    private static PgvaultProperties properties(Map<String, PgvaultProperties.Repository> repositories,
            String repository) {
        return new PgvaultProperties(null, new PgvaultProperties.Storage(new PgvaultProperties.Storage.Local(
                ROOT.resolve("root"), 0)), null, null, null, null, null, null, null, repositories, repository);
    }
}
