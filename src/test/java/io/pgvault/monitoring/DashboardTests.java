package io.pgvault.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shipped Grafana dashboard is valid JSON with a panel for each thing an operator watches, and the dashboard
 * and the alert rules use only metrics docs/operations.md documents (a renamed meter breaks this test, not a
 * dashboard); the backup panels read gauges of the newest backup, not a summary's _max, which decays to 0 within
 * minutes of each backup (PrometheusScrapeTests evaluates them against a real Prometheus).
 */
class DashboardTests {

    static final Pattern METRIC = Pattern.compile("pgvault_[a-z_]+");

    @Test
    void theDashboardShowsWhatAnOperatorWatches() throws Exception {
        JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(Path.of("deploy/grafana/pgvault-dashboard.json")));
        List<String> titles = new ArrayList<>();
        dashboard.path("panels").forEach(p -> titles.add(p.path("title").asString()));
        assertThat(titles).anyMatch(t -> t.startsWith("Recovery window")).anyMatch(t -> t.contains("last successful backup"))
                .anyMatch(t -> t.equals("Backup size")).anyMatch(t -> t.equals("Backup duration"))
                .anyMatch(t -> t.startsWith("Job outcomes")).anyMatch(t -> t.equals("WAL archive lag"))
                .anyMatch(t -> t.contains("RTO"));
        dashboard.path("panels").forEach(p -> assertThat(p.path("targets").size()).as(p.path("title").asString())
                .isPositive());
        assertThat(dashboard.path("templating").path("list").toString()).contains("label_values(pgvault_cluster_healthy, cluster)");
        dashboard.path("panels").forEach(p -> p.path("targets").forEach(t -> assertThat(t.path("expr").asString())
                .as(p.path("title").asString()).doesNotContain("_max")));
    }

    @Test
    void dashboardAndAlertsUseOnlyDocumentedMetrics() throws Exception {
        String readme = Files.readString(Path.of("docs", "operations.md"));
        Set<String> documented = names(readme);
        Set<String> used = names(Files.readString(Path.of("deploy/grafana/pgvault-dashboard.json")));
        used.addAll(names(Files.readString(Path.of("deploy/prometheus/pgvault-alerts.yml"))));
        assertThat(used).isNotEmpty();
        for (String name : used) {
            // histograms and timers add _max, _count, _sum; the documentation names the meter
            String meter = name.replaceAll("_(max|count|sum|bucket)$", "");
            assertThat(documented.contains(meter) || documented.contains(name))
                    .as("%s is not documented in docs/operations.md", name).isTrue();
        }
    }

    private static Set<String> names(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }
}
