package io.pgvault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;

/** Misspelt or invalid pgvault settings stop start-up with a message that names them. */
class ConfigurationTests {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(PgvaultProperties.class)
    static class Config {
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
            .withUserConfiguration(Config.class);

    @Test
    void defaultsAreSensible() {
        runner.run(context -> {
            PgvaultProperties p = context.getBean(PgvaultProperties.class);
            assertThat(p.jobs().maxConcurrent()).isEqualTo(2);
            assertThat(p.jobs().maxBackupsPerCluster()).isEqualTo(1);
            assertThat(p.storage().local().root().normalize().toString()).isEqualTo("data/backups");
            assertThat(p.postgres().osUser()).isEqualTo("postgres");
            assertThat(p.recovery().roots()).containsExactly(java.nio.file.Path.of("/var/lib/postgresql"),
                    java.nio.file.Path.of("data/recoveries"));
            assertThat(p.recovery().copyTokenTtl()).isEqualTo(java.time.Duration.ofDays(7));
            assertThat(p.wal().compression()).isEqualTo(io.pgvault.storage.codec.Codec.ZSTD);
            assertThat(p.wal().compressionLevel()).isEqualTo(3);
        });
        runner.withPropertyValues("pgvault.wal.compression=none", "pgvault.wal.compression-level=1").run(context -> {
            PgvaultProperties p = context.getBean(PgvaultProperties.class);
            assertThat(p.wal().compression()).isEqualTo(io.pgvault.storage.codec.Codec.NONE);
            assertThat(p.wal().compressionLevel()).isEqualTo(1);
        });
    }

    /** deploy/pgvault.example.yml, the complete example docs/configuration.md points at, binds as it is. */
    @Test
    void theExampleFileBinds() throws Exception {
        var sources = new org.springframework.boot.env.YamlPropertySourceLoader().load("example",
                new org.springframework.core.io.FileSystemResource("deploy/pgvault.example.yml"));
        runner.withInitializer(context -> sources.forEach(context.getEnvironment().getPropertySources()::addFirst))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    PgvaultProperties p = context.getBean(PgvaultProperties.class);
                    assertThat(p.defaultRepository()).isEqualTo("main");
                    assertThat(p.repositories().get("offsite").encryption()).isEqualTo("aes-256-gcm");
                    assertThat(p.repositories().get("offsite").retention()).isNotNull();
                    assertThat(p.api().publicUrl()).hasToString("https://pgvault.example.net");
                    assertThat(p.recovery().roots()).hasSize(2);
                });
    }

    @Test
    void unknownKeysFailStartUp() {
        runner.withPropertyValues("pgvault.jobs.max-concurent=3").run(context ->
                assertThat(context).hasFailed().getFailure().rootCause().hasMessageContaining("max-concurent"));
        runner.withPropertyValues("pgvault.storag.local.root=/x").run(context ->
                assertThat(context).hasFailed().getFailure().rootCause().hasMessageContaining("storag"));
    }

    @Test
    void invalidValuesFailStartUp() {
        runner.withPropertyValues("pgvault.jobs.max-concurrent=0").run(context ->
                assertThat(context).hasFailed().getFailure().hasStackTraceContaining("maxConcurrent"));
        runner.withPropertyValues("pgvault.wal.compression=lz4").run(context ->
                assertThat(context).hasFailed().getFailure().hasStackTraceContaining("lz4"));
        runner.withPropertyValues("pgvault.wal.compression-level=20").run(context ->
                assertThat(context).hasFailed().getFailure().hasStackTraceContaining("compressionLevel"));
    }

    @Test
    void aMisspeltKeyIsReportedWithTheKeyThatWasMeant() {
        runner.withPropertyValues("pgvault.storge.local.root=/x").run(context -> {
            FailureAnalysis a = new SettingsFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(a.getDescription()).contains("pgvault.storge.local.root", "did you mean "
                    + "pgvault.storage.local.root?").doesNotContain("Bindable");
        });
        runner.withPropertyValues("pgvault.repositories.offsite.type=s3", "pgvault.repositories.offsite.endpont=x")
                .run(context -> assertThat(new SettingsFailureAnalyzer().analyze(context.getStartupFailure())
                        .getDescription()).contains("did you mean pgvault.repositories.offsite.endpoint?"));
        runner.withPropertyValues("pgvault.jobs.max-concurent=3").run(context -> assertThat(
                new SettingsFailureAnalyzer().analyze(context.getStartupFailure()).getDescription())
                .contains("did you mean pgvault.jobs.max-concurrent?"));
        // nothing near enough: no guess
        runner.withPropertyValues("pgvault.colour=blue").run(context -> assertThat(
                new SettingsFailureAnalyzer().analyze(context.getStartupFailure()).getDescription())
                .isEqualTo("pgvault does not know the setting pgvault.colour (from \"pgvault.colour\" from property "
                        + "source \"test\")."));
    }

    @Test
    void aWrongEnumValueIsReportedWithTheValuesItTakes() {
        runner.withPropertyValues("pgvault.wal.compression=zst").run(context -> {
            FailureAnalysis a = new SettingsFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(a.getDescription()).contains("pgvault.wal.compression", "'zst'", "one of none, zstd");
        });
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(OutputCaptureExtension.class)
    void theServerReportsAMisspeltKeyThisWay(CapturedOutput output) {
        assertThatThrownBy(() -> new SpringApplicationBuilder(PgvaultApplication.class).run("--server.port=0",
                "--spring.datasource.url=jdbc:h2:mem:typo", "--pgvault.storge.local.root=/tmp/typo"))
                .isInstanceOf(Exception.class);
        assertThat(output.getAll()).contains("pgvault does not know the setting pgvault.storge.local.root",
                "did you mean pgvault.storage.local.root?").doesNotContain("Bindable@");
    }
}
