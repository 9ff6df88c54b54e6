package io.pgvault.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shipped alert rules (deploy/prometheus) load in Prometheus and fire when, and only when, they should:
 * promtool (Debian's prometheus package, installed by .ci/run) checks them and runs their unit tests.
 */
class AlertRulesTests {

    static final Path RULES = Path.of("deploy", "prometheus").toAbsolutePath();

    @Test
    void theRulesLoad() throws Exception {
        assertThat(promtool("check", "rules", "pgvault-alerts.yml")).contains("SUCCESS: 12 rules found");
    }

    @Test
    void everyAlertFiresWhenItShouldAndNotBefore() throws Exception {
        assertThat(promtool("test", "rules", "pgvault-alerts.test.yml")).contains("SUCCESS");
    }

    /** The paths the rules send people to exist (the API's, in api/openapi.json; the health groups). */
    @Test
    void theRulesPointAtPathsThatExist() throws Exception {
        String rules = java.nio.file.Files.readString(RULES.resolve("pgvault-alerts.yml"));
        java.util.Collection<String> documented = tools.jackson.databind.json.JsonMapper.builder().build()
                .readTree(java.nio.file.Files.readString(Path.of("api", "openapi.json"))).path("paths").propertyNames();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(/api/v1/[^\\s?)]+|/actuator/[a-z/]+)")
                .matcher(rules);
        int found = 0;
        while (m.find()) {
            found++;
            String path = m.group(1);
            if (path.startsWith("/actuator/")) {
                assertThat(path).isIn("/actuator/health", "/actuator/health/backups", "/actuator/prometheus");
            } else {
                // {name}, <name> and {{ $labels.cluster }} stand for one path segment
                String pattern = path.replaceAll("\\{\\{[^}]*}}|<[^>]+>|\\{[^}]+}", "[^/]+");
                assertThat(documented).as(path).anyMatch(p -> p.replaceAll("\\{[^}]+}", "x").matches(pattern)
                        || p.matches(pattern));
            }
        }
        assertThat(found).isPositive();
    }

    private static String promtool(String... args) throws IOException, InterruptedException {
        List<String> argv = new java.util.ArrayList<>(List.of("promtool"));
        argv.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(argv).directory(RULES.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("promtool is missing: install Debian's prometheus package (.ci/run does)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
