package io.pgvault.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's build stage builds, as {@code docker build} would run it: no Docker engine is needed (nor used),
 * the stage is played by {@link DockerfileStages} in a clean directory that holds only what its COPY lines name,
 * and its RUN lines run there unchanged. The nested Maven build uses the local repository of this one
 * ({@code MAVEN_ARGS=-Dmaven.repo.local=...}), so it downloads nothing that is already there. What is not run: the
 * base images, the runtime stage's apt-get and the image itself.
 */
class DockerfileBuildTests {

    static final Path DOCKERFILE = Path.of("Dockerfile");

    @TempDir
    Path home;

    @Test
    void theBuildStageBuildsTheApplicationJarFromWhatItCopies() throws Exception {
        DockerfileStages dockerfile = DockerfileStages.read(DOCKERFILE);
        Path log = home.resolve("docker-build.log");
        String repository = System.getProperty("maven.repo.local",
                Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
        String mavenArgs = (System.getenv().getOrDefault("MAVEN_ARGS", "") + " -Dmaven.repo.local=" + repository)
                .strip();
        DockerfileStages.Played build = DockerfileStages.run(dockerfile.stage("build"), Path.of("").toAbsolutePath(),
                home.resolve("build-stage"), Map.of("MAVEN_ARGS", mavenArgs), log, Duration.ofMinutes(20));

        List<DockerfileStages.Instruction> fromBuild = dockerfile.last().all("COPY").stream()
                .filter(c -> c.arguments().startsWith("--from=build ")).toList();
        assertThat(fromBuild).as("the runtime stage copies the jar from the build stage").hasSize(1);
        String copied = fromBuild.get(0).arguments().split("\\s+")[1];
        Path jar = build.resolve(copied);
        assertThat(jar).as(DockerfileStages.tail(log)).isRegularFile();
        try (JarFile boot = new JarFile(jar.toFile())) {
            assertThat(boot.getManifest().getMainAttributes().getValue("Start-Class"))
                    .isEqualTo("io.pgvault.PgvaultApplication");
            List<String> libraries = Collections.list(boot.entries()).stream().map(e -> e.getName())
                    .filter(n -> n.startsWith("BOOT-INF/lib/")).toList();
            assertThat(libraries).anyMatch(n -> n.contains("postgresql-")).anyMatch(n -> n.contains("db-scheduler-"))
                    .noneMatch(n -> n.contains("junit")).noneMatch(n -> n.contains("testcontainers"))
                    .noneMatch(n -> n.contains("assertj"));
        }
        // what only the tests need was neither built nor fetched
        Path target = build.workdir().resolve("target");
        assertThat(target.resolve("test-classes")).doesNotExist();
        assertThat(target.resolve("generated-test-sources")).doesNotExist();
        assertThat(target.resolve("python-client")).doesNotExist();
        assertThat(target.resolve("s3proxy")).doesNotExist();
        assertThat(Files.readString(log)).contains("BUILD SUCCESS");
    }

    @Test
    void theImageChecksTheProcessNotTheBackups() throws Exception {
        DockerfileStages dockerfile = DockerfileStages.read(DOCKERFILE);
        DockerfileStages.Stage runtime = dockerfile.last();
        List<DockerfileStages.Instruction> checks = runtime.all("HEALTHCHECK");
        assertThat(checks).hasSize(1);
        // a late backup must not get the container restarted or taken out of a load balancer
        assertThat(checks.get(0).arguments()).containsPattern("/actuator/health/(liveness|readiness)\\b");
        assertThat(runtime.all("FROM")).isEmpty();
        assertThat(List.of(dockerfile.stage("build").image(), runtime.image())).as("pinned base images")
                .allMatch(image -> image.matches("[a-z0-9./-]+:\\d+\\.\\d+[0-9._a-z-]*"));
    }
}
