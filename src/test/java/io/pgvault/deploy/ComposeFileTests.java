package io.pgvault.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml as Compose itself reads it ({@code docker compose config}, or Debian's {@code docker-compose},
 * installed by .ci/run; no Docker engine is needed): it needs the admin token from .env and says so, every image is
 * pinned, each pgvault instance has a workspace of its own and shares only the keys, the containers' health checks
 * ask about the process, and nginx sends requests to every instance.
 */
class ComposeFileTests {

    static final String WORKSPACE = "/var/lib/pgvault"; // fixed-path-ok: inside the container, read from the file
    static final String KEYS = "/var/lib/pgvault/keys"; // fixed-path-ok: inside the container

    @TempDir
    Path home;

    @Test
    void withoutAnAdminTokenComposeRefusesAndSaysWhereToPutIt() throws Exception {
        Result r = config(Map.of());
        assertThat(r.exit()).as(r.output()).isNotZero();
        assertThat(r.output()).contains("PGVAULT_ADMIN_TOKEN").contains(".env");
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyInstanceHasItsOwnWorkspaceAndEveryImageIsPinned() throws Exception {
        Result r = config(Map.of("PGVAULT_ADMIN_TOKEN", "compose-test-token-0123456789"));
        assertThat(r.exit()).as(r.output()).isZero();
        Map<String, Object> services = (Map<String, Object>) new Yaml().<Map<String, Object>>load(r.output())
                .get("services");
        List<String> instances = new ArrayList<>();
        Map<String, String> workspaces = new HashMap<>();
        for (var entry : services.entrySet()) {
            String name = entry.getKey();
            Map<String, Object> service = (Map<String, Object>) entry.getValue();
            String image = String.valueOf(service.get("image"));
            if (service.containsKey("build")) {
                instances.add(name);
                Map<String, String> environment = (Map<String, String>) service.get("environment");
                assertThat(environment).as(name).containsEntry("PGVAULT_ADMIN_TOKEN", "compose-test-token-0123456789");
                assertThat(service.get("hostname")).as(name + ": a stable instance name").isEqualTo(name);
                String check = String.valueOf(((Map<String, Object>) service.get("healthcheck")).get("test"));
                assertThat(check).as(name).containsPattern("/actuator/health/(liveness|readiness)\\b")
                        .doesNotContain("/actuator/health/backups");
                for (Mount m : mounts(service)) {
                    if (m.target().equals(WORKSPACE)) {
                        assertThat(workspaces.put(m.source(), name)).as("%s shares its workspace %s with another "
                                + "instance", name, m.source()).isNull();
                    } else {
                        assertThat(m.target()).as(name + ": only the keys are shared").isEqualTo(KEYS);
                    }
                }
                assertThat(workspaces).as(name + ": a workspace volume").containsValue(name);
            } else {
                // a tag that names a release, never latest or a moving major
                assertThat(image).as(name).matches("[a-z0-9./-]+:(\\d+\\.\\d+[0-9.a-z-]*|RELEASE\\.[0-9TZ-]+)");
            }
        }
        assertThat(instances).hasSizeGreaterThanOrEqualTo(2);
        String nginx = Files.readString(Path.of("deploy", "nginx", "pgvault.conf"));
        for (String instance : instances) {
            assertThat(nginx).as("nginx sends requests to " + instance).contains("server " + instance + ":8080");
        }
    }

    record Mount(String source, String target) {
    }

    /** Volumes in either syntax: Compose v2 prints maps, Debian's docker-compose 1.29 "source:target:mode". */
    @SuppressWarnings("unchecked")
    private static List<Mount> mounts(Map<String, Object> service) {
        List<Mount> mounts = new ArrayList<>();
        for (Object v : (List<Object>) service.getOrDefault("volumes", List.of())) {
            if (v instanceof Map<?, ?> map) {
                mounts.add(new Mount(String.valueOf(map.get("source")), String.valueOf(map.get("target"))));
            } else {
                String[] parts = String.valueOf(v).split(":");
                mounts.add(new Mount(parts[0], parts[1]));
            }
        }
        return mounts;
    }

    record Result(int exit, String output) {
    }

    /** {@code config} with only {@code variables} set: an empty env file, so that a developer's .env is not read. */
    private Result config(Map<String, String> variables) throws IOException, InterruptedException {
        Path envFile = Files.writeString(home.resolve("empty.env"), "");
        List<String> argv = new ArrayList<>(compose());
        argv.addAll(List.of("--env-file", envFile.toString(), "-f", "docker-compose.yml", "config"));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("PGVAULT_") || k.startsWith("MINIO_")
                || k.startsWith("COMPOSE_"));
        pb.environment().putAll(variables);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    /** {@code docker compose} where the plugin answers, else {@code docker-compose}. */
    private static List<String> compose() throws InterruptedException {
        for (List<String> candidate : List.of(List.of("docker", "compose"), List.of("docker-compose"))) {
            try {
                List<String> version = new ArrayList<>(candidate);
                version.add("version");
                Process p = new ProcessBuilder(version).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return candidate;
                }
            } catch (IOException notInstalled) {
                // try the next one
            }
        }
        throw new AssertionError("neither 'docker compose' nor 'docker-compose' is installed: .ci/run installs "
                + "Debian's docker-compose");
    }
}
