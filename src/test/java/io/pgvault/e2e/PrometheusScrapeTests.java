package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus (Debian's package, installed by .ci/run), started once for the class, scrapes the running
 * pgvault with a VIEWER token and loads the shipped alert rules: for a cluster past its RPO, PgvaultRpoBreached fires,
 * naming the cluster; and the shipped Grafana dashboard's backup panels, their queries evaluated by Prometheus as
 * Grafana would send them, show the backups just taken.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrometheusScrapeTests extends EndToEndTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String PANEL_DB = "panels";

    Path home;
    Process prometheus;
    int prometheusPort;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void startPrometheus() throws Exception {
        home = Api.tempDirectory("pgvault-prometheus");
        Api admin = new Api(port);
        Api.Response token = admin.post("/api/v1/tokens", Map.of("name", "prometheus-" + System.nanoTime(),
                "role", "VIEWER"));
        assertThat(token.status()).as(token.body()).isEqualTo(201);
        Path credentials = Files.writeString(home.resolve("pgvault.token"), token.field("token"));
        Files.setPosixFilePermissions(credentials, PosixFilePermissions.fromString("rw-------"));
        Path rules = Path.of("deploy", "prometheus", "pgvault-alerts.yml").toAbsolutePath();
        prometheusPort = Ports.free();
        Path config = Files.writeString(home.resolve("prometheus.yml"), String.join("\n",
                "global:", "  scrape_interval: 1s", "  evaluation_interval: 1s",
                "rule_files: ['" + rules + "']",
                "scrape_configs:",
                "  - job_name: pgvault",
                "    metrics_path: /actuator/prometheus",
                "    authorization: {credentials_file: '" + credentials + "'}",
                "    static_configs: [{targets: ['127.0.0.1:" + port + "']}]", ""));
        try {
            prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
                    "--storage.tsdb.path=" + home.resolve("data"), "--web.listen-address=127.0.0.1:" + prometheusPort)
                    .redirectErrorStream(true).redirectOutput(home.resolve("prometheus.log").toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("prometheus is missing: install Debian's prometheus package (.ci/run does)", e);
        }
        // scraping before anything below happens: counters are seen before and after the backups
        query("up{job=\"pgvault\"}", result -> result.size() == 1
                && result.get(0).path("value").get(1).asString().equals("1"));
    }

    @AfterAll
    void stopPrometheus() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor();
        }
        PgCluster.deleteTree(home);
    }

    @Test
    void theRpoAlertFiresForAClusterPastItsRpo() throws Exception {
        // a name of its own: the shared server's other classes register clusters too (TimelineAndTimeTests had a
        // "late" with a recent backup and no such RPO, and this test's 409 was taken for success)
        String late = "prometheus-late";
        Api.Response registered = api.post("/api/v1/clusters", Map.of("name", late, "host", PgCluster.shared().host(),
                "port", PgCluster.shared().port(), "username", PgCluster.shared().superuser(), "rpo", "PT1S"));
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            JsonNode firing = null;
            String last = "";
            while (firing == null && System.nanoTime() < deadline) {
                Api.sleep(500);
                last = prometheus("/api/v1/alerts");
                for (JsonNode alert : JSON.readTree(last).path("data").path("alerts")) {
                    if (alert.path("labels").path("alertname").asString().equals("PgvaultRpoBreached")
                            && alert.path("labels").path("cluster").asString().equals(late)
                            && alert.path("state").asString().equals("firing")) {
                        firing = alert;
                    }
                }
            }
            assertThat(firing).as("alerts: %s%npgvault's own figures for %s: %s%nits metrics thread: %s%nprometheus: %s",
                    last, late, api.get("/actuator/prometheus").body().lines()
                            .filter(l -> l.contains("cluster=\"" + late + "\""))
                            .toList(), metricsThread(), Files.readString(home.resolve("prometheus.log"))).isNotNull();
            assertThat(firing.path("annotations").path("summary").asString()).isEqualTo("Cluster " + late
                    + " is past its RPO");
            assertThat(firing.path("labels").path("severity").asString()).isEqualTo("critical");
        } finally {
            // the shared server's other tests see no cluster past its RPO
            api.delete("/api/v1/clusters/" + late);
        }
    }

    /** Where the shared server's metrics refresh is (it runs in this JVM): a refresh that never ends shows here. */
    private static String metricsThread() {
        StringBuilder where = new StringBuilder();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (thread.getName().startsWith("pgvault-metrics")) {
                where.append(thread.getName()).append(' ').append(thread.getState());
                for (StackTraceElement frame : stack) {
                    where.append("\n\tat ").append(frame);
                }
                where.append('\n');
            }
        });
        return where.toString();
    }

    /**
     * Two backups, then each query of the dashboard's backup panels (its $cluster variable set as Grafana sets it)
     * through Prometheus's query API: a value above 0 for the cluster, minutes after the backups as well (gauges of
     * the newest backup, not a summary's decaying _max).
     */
    @Test
    void theDashboardsBackupPanelsShowTheBackupsJustTaken() throws Exception {
        String cluster = "grafana-panels";
        PgCluster pg = PgCluster.shared();
        if (!pg.databaseExists(PANEL_DB)) {
            pg.createDatabase(PANEL_DB);
            pg.execute(PANEL_DB, "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 2000) g");
        }
        api.register(cluster, pg);
        api.backup(cluster, Map.of("kind", "DUMP", "database", PANEL_DB));
        api.backup(cluster, Map.of("kind", "DUMP", "database", PANEL_DB, "format", "PLAIN"));

        JsonNode dashboard = JSON.readTree(Files.readString(Path.of("deploy", "grafana", "pgvault-dashboard.json")));
        List<String> checked = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            String title = panel.path("title").asString();
            if (!List.of("Backup size", "Backup duration", "Job outcomes (per hour)").contains(title)) {
                continue;
            }
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asString().replace("$cluster", cluster);
                JsonNode series = query(expr, result -> positive(result, title.startsWith("Job") ? null : cluster));
                assertThat(series).as("%s: %s", title, expr).isNotEmpty();
                checked.add(title);
            }
        }
        assertThat(checked).contains("Backup size", "Backup duration", "Job outcomes (per hour)");
    }

    /** A series of {@code cluster} (any, when null) whose value is above 0. */
    private static boolean positive(JsonNode result, String cluster) {
        for (JsonNode series : result) {
            boolean ours = cluster == null || cluster.equals(series.path("metric").path("cluster").asString());
            if (ours && Double.parseDouble(series.path("value").get(1).asString()) > 0) {
                return true;
            }
        }
        return false;
    }

    /** Evaluates {@code expr} until its result satisfies {@code done} (90 s at most); returns that result. */
    private JsonNode query(String expr, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                last = prometheus("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
                JsonNode answer = JSON.readTree(last);
                assertThat(answer.path("status").asString()).as(last).isEqualTo("success");
                if (done.test(answer.path("data").path("result"))) {
                    return answer.path("data").path("result");
                }
            } catch (IOException notYetUp) {
                last = notYetUp.toString();
            }
            Api.sleep(500);
        }
        throw new AssertionError("Prometheus never answered " + expr + " as expected; last answer: " + last
                + "\nprometheus: " + Files.readString(home.resolve("prometheus.log")));
    }

    /** Prometheus's answer; an IOException while it is not ready yet (it answers 503 "Service Unavailable" then). */
    private String prometheus(String path) throws IOException, InterruptedException {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort
                + path)).build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IOException("Prometheus answered " + answer.statusCode() + ": " + answer.body());
        }
        return answer.body();
    }
}
