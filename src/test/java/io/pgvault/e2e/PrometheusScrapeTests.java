package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus (Debian's package, installed by .ci/run) scrapes a running pgvault with a VIEWER token and
 * loads the shipped alert rules: for a cluster past its RPO, PgvaultRpoBreached fires, naming the cluster.
 */
class PrometheusScrapeTests extends EndToEndTest {

    @TempDir
    Path home;

    @Test
    void theRpoAlertFiresForAClusterPastItsRpo() throws Exception {
        Api.Response registered = api.post("/api/v1/clusters", Map.of("name", "late", "host", PgCluster.shared().host(),
                "port", PgCluster.shared().port(), "username", PgCluster.shared().superuser(), "rpo", "PT1S"));
        assertThat(registered.status()).as(registered.body()).isIn(201, 409);
        Api.Response token = api.post("/api/v1/tokens", Map.of("name", "prometheus-" + System.nanoTime(),
                "role", "VIEWER"));
        assertThat(token.status()).as(token.body()).isEqualTo(201);
        Path credentials = Files.writeString(home.resolve("pgvault.token"), token.field("token"));
        Files.setPosixFilePermissions(credentials, PosixFilePermissions.fromString("rw-------"));
        Path rules = Path.of("deploy", "prometheus", "pgvault-alerts.yml").toAbsolutePath();
        int prometheusPort = Ports.free();
        Path config = Files.writeString(home.resolve("prometheus.yml"), String.join("\n",
                "global:", "  scrape_interval: 1s", "  evaluation_interval: 1s",
                "rule_files: ['" + rules + "']",
                "scrape_configs:",
                "  - job_name: pgvault",
                "    metrics_path: /actuator/prometheus",
                "    authorization: {credentials_file: '" + credentials + "'}",
                "    static_configs: [{targets: ['127.0.0.1:" + port + "']}]", ""));
        Process prometheus;
        try {
            prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
                    "--storage.tsdb.path=" + home.resolve("data"), "--web.listen-address=127.0.0.1:" + prometheusPort)
                    .redirectErrorStream(true).redirectOutput(home.resolve("prometheus.log").toFile()).start();
        } catch (java.io.IOException e) {
            throw new AssertionError("prometheus is missing: install Debian's prometheus package (.ci/run does)", e);
        }
        try {
            HttpClient http = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            JsonNode firing = null;
            String last = "";
            while (firing == null && System.nanoTime() < deadline) {
                Api.sleep(500);
                try {
                    last = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort
                            + "/api/v1/alerts")).build(), HttpResponse.BodyHandlers.ofString()).body();
                } catch (java.io.IOException notYetUp) {
                    continue;
                }
                for (JsonNode alert : JsonMapper.builder().build().readTree(last).path("data").path("alerts")) {
                    if (alert.path("labels").path("alertname").asString().equals("PgvaultRpoBreached")
                            && alert.path("labels").path("cluster").asString().equals("late")
                            && alert.path("state").asString().equals("firing")) {
                        firing = alert;
                    }
                }
            }
            assertThat(firing).as("alerts: %s%nprometheus: %s", last,
                    Files.readString(home.resolve("prometheus.log"))).isNotNull();
            assertThat(firing.path("annotations").path("summary").asString()).isEqualTo("Cluster late is past its RPO");
            assertThat(firing.path("labels").path("severity").asString()).isEqualTo("critical");
        } finally {
            prometheus.destroy();
            prometheus.waitFor();
            // the shared server's other tests see no cluster past its RPO
            api.delete("/api/v1/clusters/late");
        }
    }
}
