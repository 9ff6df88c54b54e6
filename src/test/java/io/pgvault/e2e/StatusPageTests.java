package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.Chromium;
import io.pgvault.testing.PgCluster;
import io.pgvault.wal.WalArchiveService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

/**
 * The status page in a real browser (Debian's Chromium through its chromedriver) against this server and a real
 * cluster whose archive_command pushes its WAL to pgvault, with a DUMP and a BASE backup and a restore drill of
 * the DUMP. One browser session: the token is typed in once, the page shows the cluster's recovery window, its
 * backups and the drill's RTO; a reload keeps the token (sessionStorage); a segment is then taken out of the
 * archive (its catalog entry and its file) and a refresh, by keyboard, shows the gap in red and the cluster at
 * risk; nothing was written to the console (no script error, no refused load, no CSP violation).
 * With {@code -Dpgvault.statuspage.screenshot=<file.png>} it also saves a screenshot of the page there
 * (scripts/status-page-screenshot.sh writes docs/status-page.png that way).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatusPageTests extends EndToEndTest {

    static final String CLUSTER = "status-shop";
    static final Duration PATIENCE = Duration.ofSeconds(60);

    @Autowired
    JdbcTemplate catalog;
    @Autowired
    WalArchiveService archive;

    PgCluster pg;
    JsonNode dump;
    JsonNode base;
    String viewerToken;
    List<String> afterBase;

    @BeforeAll
    void anArchivingClusterWithTwoBackupsAndADrill() {
        api = new Api(port);
        pg = PgCluster.start("statuspage", Map.of("archive_mode", "on", "archive_command", "", "archive_timeout", "0"));
        Api.Response registered = api.post("/api/v1/clusters", Map.of("name", CLUSTER, "host", pg.host(),
                "port", pg.port(), "username", pg.superuser(), "walArchive", "PUSH", "rpo", "PT24H"));
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        api.archiveThroughPgvault(CLUSTER, pg);
        pg.createDatabase("shop");
        pg.execute("shop", "CREATE TABLE orders (id int PRIMARY KEY, note text)",
                "INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 5000) g");

        dump = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop"));
        base = api.backup(CLUSTER, Map.of("kind", "BASE"));
        for (JsonNode b : List.of(dump, base)) {
            assertThat(api.awaitVerification(b.path("id").asString(), Duration.ofMinutes(2)).path("verification")
                    .path("status").asString()).isEqualTo("PASSED");
        }
        Api.Response drill = api.post("/api/v1/backups/" + dump.path("id").asString() + "/verifications",
                Map.of("level", "RESTORE"));
        assertThat(drill.status()).as(drill.body()).isEqualTo(202);
        api.awaitSucceeded(drill.field("id"));
        dump = api.get("/api/v1/backups/" + dump.path("id").asString()).json();

        // WAL after the BASE backup, one segment per batch of orders
        afterBase = new java.util.ArrayList<>();
        for (int batch = 1; batch <= 3; batch++) {
            pg.execute("shop", "INSERT INTO orders SELECT g, 'batch " + batch + "' FROM generate_series("
                    + (batch * 10000) + ", " + (batch * 10000 + 99) + ") g");
            afterBase.add(pg.switchWal());
        }
        api.awaitLastSegment(CLUSTER, afterBase.get(afterBase.size() - 1), pg);
        viewerToken = api.post("/api/v1/tokens", Map.of("name", "status-page-viewer", "role", "VIEWER"))
                .field("token");
    }

    @AfterAll
    void stopCluster() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void thePageShowsTheWindowTheDrillAndThenAGapInTheArchive() throws Exception {
        try (Chromium chromium = Chromium.start(1280, 1000)) {
            WebDriver browser = chromium.driver();
            browser.get(api.base() + "/");
            assertThat(browser.getCurrentUrl()).as("/ leads to the page").isEqualTo(api.base() + "/status/");

            // the token, typed in once and sent with Enter
            WebElement field = await(browser, By.id("token"));
            assertThat(browser.switchTo().activeElement()).as("the token field has the focus").isEqualTo(field);
            field.sendKeys(viewerToken, Keys.ENTER);
            WebElement section = await(browser, By.cssSelector("section[data-cluster='" + CLUSTER + "']"));
            assertThat(browser.findElement(By.id("login")).isDisplayed()).isFalse();

            // the recovery window, as the API computes it, in words and drawn
            JsonNode window = api.get("/api/v1/clusters/" + CLUSTER + "/wal").json().path("recoveryWindow");
            assertThat(window.path("fromBackup").asString()).isEqualTo(base.path("id").asString());
            assertThat(fact(section, "window")).contains(base.path("id").asString().substring(0, 8))
                    .contains("to LSN " + window.path("endLsn").asString());
            assertThat(section.findElements(By.cssSelector("svg.timeline rect.window[data-window='covered']")))
                    .hasSize(1);
            assertThat(timelineDescription(browser, section)).startsWith("Recovery window from").contains("no gaps")
                    .contains("Not proven (proof off).");
            assertThat(fact(section, "proof")).isEqualTo("not proven (proof off)");
            assertThat(fact(section, "gaps")).isEqualTo("no gaps");
            assertThat(section.findElements(By.cssSelector("[data-gap]"))).isEmpty();

            // both backups as verified marks, by kind; both in the size chart
            assertThat(mark(section, "DUMP", dump).getTagName()).isEqualTo("circle");
            assertThat(mark(section, "BASE", base).getTagName()).isEqualTo("rect");
            assertThat(mark(section, "BASE", base).getAttribute("class")).contains("passed");
            assertThat(section.findElements(By.cssSelector("svg.sizes g[data-series]"))).extracting(
                    e -> e.getAttribute("data-series")).containsExactly("BASE", "DUMP shop");

            // the newest drill of each kind, with the RTO the API measured
            String rto = String.format(Locale.ROOT, "RTO %.1f s", dump.path("drillSeconds").asDouble());
            assertThat(section.findElement(By.cssSelector("tr[data-drill='DUMP']")).getText())
                    .contains("passed").contains(rto);
            assertThat(section.findElement(By.cssSelector("tr[data-drill='BASE']")).getText()).contains("no drill yet");
            assertThat(browser.findElements(By.cssSelector("#problems-banner li[data-cluster='" + CLUSTER + "']")))
                    .as("nothing at risk in this cluster yet").isEmpty();
            assertThat(section.findElement(By.cssSelector("h2 .badge")).getText()).isEqualTo("Protected");

            // the token is kept for the tab: a reload shows the page without asking again
            browser.navigate().refresh();
            section = await(browser, By.cssSelector("section[data-cluster='" + CLUSTER + "']"));
            assertThat(browser.findElement(By.id("login")).isDisplayed()).isFalse();

            // the keyboard reaches the refresh button (after the skip link), with a visible focus ring
            new Actions(browser).sendKeys(Keys.TAB).perform();
            assertThat(browser.switchTo().activeElement().getText()).isEqualTo("Skip to the status");
            new Actions(browser).sendKeys(Keys.TAB).perform();
            WebElement refresh = browser.switchTo().activeElement();
            assertThat(refresh.getAttribute("id")).isEqualTo("refresh");
            assertThat(refresh.getCssValue("outline-style")).isNotEqualTo("none");

            // a segment of the window taken out of the archive: its entry and its file
            String removed = afterBase.get(1);
            takeOutOfTheArchive(removed);
            JsonNode timeline = api.get("/api/v1/clusters/" + CLUSTER + "/wal").json().path("timelines").path(0);
            JsonNode gap = timeline.path("gaps").path(0);
            assertThat(gap.path("firstMissing").asString()).isEqualTo(removed);
            assertThat(Instant.parse(gap.path("fromTime").asString()))
                    .isBeforeOrEqualTo(Instant.parse(gap.path("toTime").asString()));

            String loads = browser.findElement(By.tagName("body")).getAttribute("data-loads");
            refresh.sendKeys(Keys.ENTER);
            new WebDriverWait(browser, PATIENCE).until(d -> !loads.equals(
                    d.findElement(By.tagName("body")).getAttribute("data-loads")));
            section = browser.findElement(By.cssSelector("section[data-cluster='" + CLUSTER + "']"));
            WebElement red = section.findElement(By.cssSelector("svg.timeline rect.gap[data-gap='" + removed + "']"));
            assertThat(red.getCssValue("fill")).as("drawn in red").isEqualTo("rgb(196, 22, 28)");
            assertThat(fact(section, "gaps")).isEqualTo("1 gap");
            assertThat(timelineDescription(browser, section)).contains("1 gap: 1 segment missing (" + removed + ")");
            assertThat(section.findElement(By.cssSelector("h2 .badge")).getText()).startsWith("At risk");
            assertThat(browser.findElement(By.cssSelector("#problems-banner li[data-cluster='" + CLUSTER
                    + "'][data-kind='WAL_ARCHIVE_GAP']")).getText()).contains("WAL archive gap").contains(removed);
            assertThat(browser.switchTo().activeElement().getAttribute("id")).as("the focus stays").isEqualTo("refresh");
            assertThat(browser.getTitle()).as("a background tab shows it").contains("at risk - pgvault status");

            assertThat(chromium.consoleErrors()).as("errors in the browser's console").isEmpty();
            String screenshot = System.getProperty("pgvault.statuspage.screenshot");
            if (screenshot != null && !screenshot.isBlank()) {
                Files.write(Path.of(screenshot), chromium.fullPageScreenshot());
            }
        }
    }

    @Test
    void thePageAnswersWithoutATokenUnderAPolicyOfSelfOnlyAndItsDataNeedsOne() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> root = http.send(HttpRequest.newBuilder(URI.create(api.base() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(root.statusCode()).isEqualTo(302);
        assertThat(URI.create(api.base() + "/").resolve(root.headers().firstValue("Location").orElseThrow()).getPath())
                .isEqualTo("/status/");
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(api.base() + "/status/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
                .startsWith("default-src 'self';").contains("frame-ancestors 'none'").doesNotContain("unsafe");
        assertThat(page.body()).contains("<script type=\"module\" src=\"app.js\"></script>").doesNotContain(CLUSTER);
        for (String file : List.of("app.js", "api.js", "status.css", "favicon.svg")) {
            HttpResponse<String> asset = http.send(HttpRequest.newBuilder(URI.create(api.base() + "/status/" + file))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(asset.statusCode()).as(file).isEqualTo(200);
        }
        assertThat(api.as(null).get("/api/v1/status").status()).isEqualTo(401);
        List<String> judged = new java.util.ArrayList<>();
        api.as(viewerToken).get("/api/v1/status").json().path("clusters").forEach(c -> judged.add(c.path("cluster")
                .asString()));
        assertThat(judged).contains(CLUSTER);
    }

    private void takeOutOfTheArchive(String segment) throws Exception {
        String repository = catalog.queryForObject("SELECT coalesce(repository, 'local') FROM wal_file "
                + "WHERE cluster = ? AND name = ?", String.class, CLUSTER, segment);
        assertThat(catalog.update("DELETE FROM wal_file WHERE cluster = ? AND name = ?", CLUSTER, segment)).isOne();
        assertThat(archive.deleteFiles(List.of(new WalArchiveService.Removed(CLUSTER, segment, repository))))
                .as("the file is deleted").isEmpty();
        assertThat(api.get("/api/v1/clusters/" + CLUSTER + "/wal/" + segment).status()).isEqualTo(404);
    }

    private static WebElement await(WebDriver browser, By what) {
        return new WebDriverWait(browser, PATIENCE).until(d -> {
            List<WebElement> found = d.findElements(what);
            return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
        });
    }

    private static String fact(WebElement section, String name) {
        return section.findElement(By.cssSelector("[data-fact='" + name + "']")).getText();
    }

    private static WebElement mark(WebElement section, String kind, JsonNode backup) {
        return section.findElement(By.cssSelector("svg.timeline [data-kind='" + kind + "'][data-id='"
                + backup.path("id").asString() + "']"));
    }

    /** What a screen reader reads for the timeline (its desc, which the browser does not display). */
    private static String timelineDescription(WebDriver browser, WebElement section) {
        return (String) ((JavascriptExecutor) browser).executeScript("return arguments[0].textContent",
                section.findElement(By.cssSelector("svg.timeline desc")));
    }
}
