package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.storage.Sha256;
import io.pgvault.testing.PgCluster;
import io.pgvault.testing.Relay;
import io.pgvault.testing.S3Server;
import io.pgvault.testing.WalSegments;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The fault matrix of issue 22: every job that writes to an encrypted S3 repository (S3Proxy behind a relay) — a
 * DUMP, a BASE backup, a WAL push, a COPY from local disk to the bucket, retention, and the re-encryption after a
 * key rotation — meets each fault (503, connection reset, a 3 s hang whose silent connections are then reset) at
 * each phase: before it starts, after half of its bytes, and in its last request (the last 200 bytes it sends,
 * measured by one healthy run first; for the re-encryption, whose last request is the small DELETE of an old
 * object after its switch, the fault comes before that request reaches the bucket).
 * The rule checked after each case, with the relay healed: SUCCEEDED and every object it wrote reads back with
 * the recorded SHA-256 (CHECKSUM verification, download, fetch), or FAILED with nothing half-visible (no
 * SUCCEEDED entry, no download, no fetch) and the backup made at the start still verifying at CHECKSUM level and
 * downloading with its SHA-256. A re-encryption (of "rekey", a repository of its own with a dump, the copy of a
 * local dump and two WAL files, rotated before each case) either way leaves every object reading back through
 * the catalog (CHECKSUM verification and download, the copy alone, WAL verification and fetches); a FAILED one is
 * run again and must SUCCEED; then no object of the bucket is under the old key and the old key can be removed.
 * Every SUCCEEDED backup in the catalog keeps all its objects; retention either
 * takes the expired backup out of the catalog (objects a fault kept it from deleting are the leftovers sweep's)
 * or leaves it listed and verifying. A "middle" or "commit" fault is armed by bytes, so a job that sends fewer
 * bytes than its healthy run may never meet it: the table says so. A read right after a reset or a hang may meet
 * a dead pooled connection once; each read check is tried up to three times and the table notes it. The matrix
 * is printed as Markdown (docs/failures.md holds one run's).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultMatrixTests {

    static final Path HOME = Api.tempDirectory("pgvault-fault-matrix");
    static final S3Server S3 = S3Server.start("pgvault-matrix");
    static final Relay RELAY = new Relay(S3.port());
    /** The bucket behind pgvault's back, not through the relay. */
    static final software.amazon.awssdk.services.s3.S3Client DIRECT = S3.client();
    /** The bucket of "rekey", the repository the REENCRYPT rows rotate and re-encrypt: a few small objects only. */
    static final String REKEY_BUCKET = bucket("pgvault-matrix-rekey");
    /** Bytes before a job's measured end at which the "commit" fault fires: inside its last request. */
    static final long LAST_REQUEST = 200;

    enum Job { DUMP, BASE, WAL_PUSH, COPY, RETENTION, REENCRYPT }

    enum Fault { HTTP_503, RESET, HANG }

    enum Phase { START, MIDDLE, COMMIT }

    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) {
        Api.ownServer(registry, "matrix", HOME);
        registry.add("pgvault.storage.local.root", () -> HOME.resolve("ground").toString());
        registry.add("pgvault.repository", () -> "ground");
        registry.add("pgvault.repositories.ground.type", () -> "local");
        registry.add("pgvault.repositories.ground.path", () -> HOME.resolve("ground").toString());
        S3.registerRepository(registry, "cloud", () -> "http://127.0.0.1:" + RELAY.port(), S3.bucket());
        registry.add("pgvault.repositories.cloud.encryption", () -> "aes-256-gcm");
        registry.add("pgvault.repositories.cloud.encryption-key-file", () -> HOME.resolve("cloud.key").toString());
        S3.registerRepository(registry, "rekey", () -> "http://127.0.0.1:" + RELAY.port(), REKEY_BUCKET);
        registry.add("pgvault.repositories.rekey.encryption", () -> "aes-256-gcm");
        registry.add("pgvault.repositories.rekey.encryption-key-file", () -> HOME.resolve("rekey.key").toString());
        // a request the relay refuses or cuts is sent twice, not four times (the default), each with backoff: a
        // FAILED case ends sooner, and one retry still gets past a pooled connection a fault left dead
        registry.add("pgvault.repositories.cloud.attempts", () -> "2");
        registry.add("pgvault.repositories.rekey.attempts", () -> "2");
        // background traffic would spend the relay's byte budgets: probes and sweeps stay out of the cases' way
        registry.add("pgvault.storage.probe.interval", () -> "1h");
        registry.add("pgvault.storage.sweep.every", () -> "1h");
    }

    @LocalServerPort
    int port;
    Api api;
    PgCluster pg;
    WalSegments wal;
    String good;
    String copied;
    int walPosition = 10;
    final HttpClient http = HttpClient.newHttpClient();
    final Map<Job, Long> healthyBytes = new EnumMap<>(Job.class);
    final List<String> rows = new ArrayList<>();
    final List<String> violations = new ArrayList<>();
    /** What a case showed beyond the rule (leftovers for a sweep, a retried read). */
    final List<String> notes = new ArrayList<>();
    volatile CompletableFuture<Void> pendingHeal;
    /** What the REENCRYPT rows re-encrypt in "rekey": a dump, the copy of a local dump, two WAL files. */
    String rekeyDump;
    String rekeyCopied;
    final Map<String, byte[]> rekeyWal = new java.util.LinkedHashMap<>();
    Map<String, io.pgvault.testing.TableFingerprint> rekeyFingerprints;
    /** The key the last rotation replaced: no object may stay under it once a re-encryption SUCCEEDED. */
    String oldKey;

    @BeforeAll
    void clustersAndAGoodBackup() {
        api = new Api(port);
        // 1 MiB segments keep WAL pushes and the BASE backup small
        pg = PgCluster.start("matrix", Map.of(), List.of("--wal-segsize=1"));
        wal = WalSegments.of(pg);
        pg.createDatabase("shop");
        pg.execute("shop", "CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL)",
                "INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 500) g");
        register("cloudy", "cloud", null);
        register("ground", "ground", null);
        register("aging", "cloud", Map.of("keepLast", 1));
        good = api.backup("cloudy", Map.of("kind", "DUMP", "database", "shop")).path("id").asString();
        api.awaitVerification(good, Duration.ofMinutes(2));
        copied = api.backup("ground", Map.of("kind", "DUMP", "database", "shop")).path("id").asString();
        api.awaitVerification(copied, Duration.ofMinutes(2));
        register("rekeyed", "rekey", null);
        rekeyDump = api.backup("rekeyed", Map.of("kind", "DUMP", "database", "shop")).path("id").asString();
        rekeyFingerprints = pg.fingerprints("shop");
        rekeyCopied = api.backup("ground", Map.of("kind", "DUMP", "database", "shop")).path("id").asString();
        Api.Response copy = api.post("/api/v1/backups/" + rekeyCopied + "/copies", Map.of("repository", "rekey"));
        assertThat(copy.status()).as(copy.body()).isEqualTo(202);
        assertThat(api.awaitJob(copy.field("id"), Duration.ofMinutes(2)).path("status").asString())
                .isEqualTo("SUCCEEDED");
        for (int i = 0; i < 2; i++) {
            String name = wal.name(1, 0x40 + i);
            Outcome pushed = push("rekeyed", name, wal.segment(name));
            assertThat(pushed.succeeded()).as(pushed.detail()).isTrue();
            rekeyWal.put(name, pushed.body());
        }
        api.awaitVerification(rekeyDump, Duration.ofMinutes(2));
    }

    @AfterAll
    void cleanUp() {
        if (pg != null) {
            pg.close();
        }
        RELAY.close();
        DIRECT.close();
        S3.close();
    }

    @Test
    void everyWritingJobUnderEveryFaultAtEveryPhaseSucceedsWholeOrFailsLeavingEverythingEarlierRestorable() {
        for (Job job : Job.values()) {
            if (job == Job.WAL_PUSH) {
                run(job); // the first push also asks the bucket whether it honours If-None-Match: not measured
            }
            if (job == Job.REENCRYPT) {
                // the first run also reads the key of each copy and WAL file whose key the catalog does not record
                // (it records it): later runs send less, so this one is not measured
                prepare(job);
                Outcome first = run(job);
                assertThat(first.succeeded()).as("the first re-encryption: %s", first.detail()).isTrue();
                assertThat(check(job, first)).as("the first re-encryption").isNull();
            }
            prepare(job);
            long before = RELAY.sent();
            Outcome healthy = run(job);
            healthyBytes.put(job, RELAY.sent() - before);
            assertThat(healthy.succeeded()).as("%s without a fault: %s", job, healthy.detail()).isTrue();
            assertThat(check(job, healthy)).as("%s without a fault", job).isNull();
            for (Fault fault : Fault.values()) {
                for (Phase phase : Phase.values()) {
                    runCase(job, fault, phase);
                }
            }
        }
        // every re-encryption, failed or not, left the dump restoring exactly
        api.restore(rekeyDump, Map.of("targetDatabase", "shop_rekeyed", "createDatabase", true));
        assertThat(pg.fingerprints("shop_rekeyed")).as("the re-encrypted dump restored").isEqualTo(rekeyFingerprints);
        StringBuilder table = new StringBuilder("| Job | Fault | Phase | Fault happened | Outcome | Rule |\n"
                + "|---|---|---|---|---|---|\n");
        rows.forEach(r -> table.append(r).append('\n'));
        System.out.println("\nThe fault matrix (S3Proxy behind a relay; healthy bytes per job: " + healthyBytes
                + ")\n\n" + table);
        assertThat(violations).as("cases that broke the rule").isEmpty();
        assertThat(checksumVerified(good)).as("the backup made first still verifies").isNull();
    }

    private void runCase(Job job, Fault fault, Phase phase) {
        long bytes = healthyBytes.get(job);
        prepare(job);
        notes.clear();
        pendingHeal = null;
        Runnable inject = () -> inject(fault);
        switch (phase) {
            case START -> inject.run();
            case MIDDLE -> RELAY.faultAfter(bytes / 2, inject);
            // a re-encryption's last request is the DELETE of an old object after its switch, one small request:
            // the fault comes before it reaches the bucket (after it, only its answer would be lost)
            case COMMIT -> {
                if (job == Job.REENCRYPT) {
                    RELAY.faultBefore(Math.max(0, bytes - LAST_REQUEST), inject);
                } else {
                    RELAY.faultAfter(Math.max(0, bytes - LAST_REQUEST), inject);
                }
            }
        }
        Outcome outcome;
        boolean happened;
        long sentBefore = RELAY.sent();
        try {
            outcome = run(job);
        } finally {
            happened = phase == Phase.START || RELAY.fired();
            CompletableFuture<Void> heal = pendingHeal;
            if (heal != null) {
                heal.join();
            }
            RELAY.heal();
        }
        long jobSent = RELAY.sent() - sentBefore;
        String broken = check(job, outcome);
        if (broken == null && !outcome.succeeded() && job != Job.REENCRYPT) {
            broken = checksumVerified(good);
        }
        if (broken != null) {
            violations.add(job + " / " + fault + " / " + phase + ": " + broken);
        }
        rows.add("| " + job + " | " + label(fault) + " | " + phase.name().toLowerCase() + " | "
                + (happened ? "yes" : "no (the job sent " + jobSent + " bytes)") + " | "
                + (outcome.succeeded() ? "SUCCEEDED" : "FAILED") + " | "
                + (broken == null ? (job == Job.RETENTION ? (outcome.succeeded()
                        ? "expired backup out of the catalog; every listed one has its objects"
                        : "expired backup removed, or listed and verifying")
                        : job == Job.REENCRYPT ? (outcome.succeeded()
                        ? "every object reads back; none left under the old key"
                        : "every object reads back; the re-run SUCCEEDED, none left under the old key")
                        : outcome.succeeded() ? "all objects read back and verified"
                        : "nothing half-visible; earlier backups verify") : "BROKEN: " + broken.replace('\n', ' '))
                + (notes.isEmpty() ? "" : "; " + String.join("; ", notes)) + " |");
    }

    private static String label(Fault fault) {
        return switch (fault) {
            case HTTP_503 -> "503";
            case RESET -> "reset";
            case HANG -> "hang 3 s";
        };
    }

    /** A hang lasts 3 s; then its silent connections are reset and new ones pass, as after a client timeout. */
    private void inject(Fault fault) {
        switch (fault) {
            case HTTP_503 -> RELAY.answer503(true);
            case RESET -> RELAY.cut();
            case HANG -> {
                RELAY.hang(true);
                pendingHeal = CompletableFuture.runAsync(() -> RELAY.hang(false),
                        CompletableFuture.delayedExecutor(3, TimeUnit.SECONDS));
            }
        }
    }

    /** What a case produced: whether it succeeded, what it wrote (a backup id, a WAL name), and why not. */
    record Outcome(boolean succeeded, String subject, byte[] body, String detail) {
    }

    private Outcome run(Job job) {
        return switch (job) {
            case DUMP -> backupJob(Map.of("kind", "DUMP", "database", "shop"));
            case BASE -> backupJob(Map.of("kind", "BASE"));
            case WAL_PUSH -> push();
            case COPY -> jobOutcome(api.post("/api/v1/backups/" + copied + "/copies", Map.of("repository", "cloud")),
                    copied);
            case RETENTION -> retention();
            case REENCRYPT -> jobOutcome(api.post("/api/v1/repositories/rekey/reencryptions", Map.of()), "rekey");
        };
    }

    private Outcome backupJob(Map<String, ?> request) {
        JsonNode job = api.startBackup("cloudy", request);
        return finished(job.path("id").asString(), job.path("backupId").asString());
    }

    private Outcome jobOutcome(Api.Response accepted, String subject) {
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        return finished(accepted.field("id"), subject);
    }

    private Outcome finished(String jobId, String subject) {
        JsonNode done = api.awaitJob(jobId, Duration.ofMinutes(3));
        return new Outcome("SUCCEEDED".equals(done.path("status").asString()), subject, null,
                done.path("status").asString() + " " + done.path("error").asString());
    }

    private Outcome push() {
        String name = wal.name(1, walPosition++);
        byte[] body = wal.segment(name);
        try {
            HttpResponse<String> r = http.send(Api.authorized(HttpRequest.newBuilder(URI.create(api.base()
                    + "/api/v1/clusters/cloudy/wal/" + name)))
                    .header("Content-Type", "application/octet-stream").timeout(Duration.ofMinutes(2))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            return new Outcome(r.statusCode() == 201, name, body, r.statusCode() + " " + r.body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Before the fault: two backups of "aging" listed, of which retention (keep the last one) expires one. */
    private void prepare(Job job) {
        if (job == Job.REENCRYPT) {
            // a rotation, then the case: the re-encryption has every object of "rekey" to rewrite
            oldKey = api.get("/api/v1/repositories/rekey/keys").json().path("currentKeyId").asString();
            Api.Response rotated = api.post("/api/v1/repositories/rekey/keys", Map.of());
            assertThat(rotated.status()).as(rotated.body()).isEqualTo(201);
        }
        if (job == Job.RETENTION) {
            while (succeeded("aging").size() < 2) {
                JsonNode b = api.backup("aging", Map.of("kind", "DUMP", "database", "shop"));
                api.awaitVerification(b.path("id").asString(), Duration.ofMinutes(2));
            }
        }
    }

    private Outcome retention() {
        String older = succeeded("aging").get(1).path("id").asString();
        return jobOutcome(api.post("/api/v1/clusters/aging/retention", ""), older);
    }

    /** Null when the case kept the rule, else what broke it. */
    private String check(Job job, Outcome outcome) {
        String broken = switch (job) {
            case DUMP, BASE -> checkBackup(outcome);
            case WAL_PUSH -> checkWal(outcome);
            case COPY -> checkCopy(outcome);
            case RETENTION -> checkRetention(outcome);
            case REENCRYPT -> checkReencryption(outcome);
        };
        return broken != null ? broken : everySucceededBackupHasItsObjects();
    }

    private String checkBackup(Outcome outcome) {
        JsonNode backup = api.get("/api/v1/backups/" + outcome.subject()).json();
        if (outcome.succeeded()) {
            // the verification after each backup is at LIST level, which includes CHECKSUM: when it PASSED, only
            // the download is left to check; else (a dead pooled connection met once) one is run again
            JsonNode verified = api.awaitVerification(outcome.subject(), Duration.ofMinutes(2));
            return "PASSED".equals(verified.path("verification").path("status").asString())
                    ? settled(() -> downloadsWhole(verified), "backup " + outcome.subject().substring(0, 8))
                    : checksumVerified(outcome.subject());
        }
        if ("SUCCEEDED".equals(backup.path("status").asString())) {
            return "the job FAILED but its backup is SUCCEEDED";
        }
        int download = api.get("/api/v1/backups/" + outcome.subject() + "/content").status();
        return download == 200 ? "the failed backup downloads" : null;
    }

    private String checkWal(Outcome outcome) {
        String path = "/api/v1/clusters/cloudy/wal/" + outcome.subject();
        if (!outcome.succeeded()) {
            int fetched = api.get(path).status();
            if (fetched != 404) {
                return "a refused push (" + outcome.detail() + ") is fetched with " + fetched;
            }
            // archive_command sends it again until it is taken: a connection the fault left dead may refuse the
            // first retry (503, the store's cause named), as on any network
            Outcome again = push(outcome.subject(), outcome.body());
            for (int i = 0; i < 2 && !again.succeeded() && !again.detail().startsWith("200"); i++) {
                Api.sleep(500);
                again = push(outcome.subject(), outcome.body());
            }
            if (!again.succeeded() && !again.detail().startsWith("200")) {
                return "after the fault the same push is refused: " + again.detail();
            }
        }
        // right after a reset or a hang the SDK's pool may still hold dead connections: a fetch can fail once
        // with 500 (PostgreSQL's restore_command is retried the same way); it must succeed within three tries
        for (int attempt = 1; ; attempt++) {
            Api.Response fetched = api.get(path);
            if (fetched.status() == 200) {
                if (attempt > 1) {
                    notes.add("WAL fetch on attempt " + attempt + " (first: 500, dead pooled connection)");
                }
                try {
                    byte[] bytes = api.download(path);
                    return Sha256.of(bytes).equals(Sha256.of(outcome.body())) ? null : "fetch serves other bytes";
                } catch (Exception | AssertionError e) {
                    return "the archived segment cannot be fetched: " + e.getMessage();
                }
            }
            if (attempt == 3) {
                return "the archived segment cannot be fetched: " + fetched.status();
            }
            Api.sleep(500);
        }
    }

    private Outcome push(String name, byte[] body) {
        return push("cloudy", name, body);
    }

    private Outcome push(String cluster, String name, byte[] body) {
        try {
            HttpResponse<String> r = http.send(Api.authorized(HttpRequest.newBuilder(URI.create(api.base()
                    + "/api/v1/clusters/" + cluster + "/wal/" + name))).header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            return new Outcome(r.statusCode() == 201, name, body, r.statusCode() + " " + r.body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String checkCopy(Outcome outcome) {
        return settled(() -> copyReadsAlone(copied, "cloud", S3.bucket(), outcome.detail()), "the copy");
    }

    /**
     * Either way the backup (a dump of "ground") has a COPIED copy in {@code repository} whose objects exist and
     * which serves the right bytes alone.
     */
    private String copyReadsAlone(String id, String repository, String bucket, String after) {
        JsonNode backup = api.get("/api/v1/backups/" + id).json();
        JsonNode copy = null;
        for (JsonNode c : backup.path("copies")) {
            copy = repository.equals(c.path("repository").asString()) ? c : copy;
        }
        if (copy == null || !"COPIED".equals(copy.path("status").asString())) {
            return "the copy is " + (copy == null ? "gone" : copy.path("status").asString()) + " after " + after;
        }
        String location = copy.path("location").asString();
        for (JsonNode file : backup.path("files")) {
            if (keys(bucket, location + "/" + file.path("path").asString()).isEmpty()) {
                return "the COPIED copy lacks " + file.path("path").asString() + " at " + location;
            }
        }
        Path local = HOME.resolve("ground").resolve("ground").resolve("DUMP").resolve(id).resolve("dump.custom");
        Path aside = local.resolveSibling("dump.custom.aside");
        try {
            Files.move(local, aside);
            try {
                byte[] read = api.download("/api/v1/backups/" + id + "/content");
                return Sha256.of(read).equals(backup.path("files").path(0).path("sha256").asString()) ? null
                        : "the copy serves other bytes";
            } finally {
                Files.move(aside, local);
            }
        } catch (Exception | AssertionError e) {
            return "the copy cannot be read alone: " + e.getMessage();
        }
    }

    /** Removed fully (not SUCCEEDED, no objects) when the job succeeded; else removed or listed and intact. */
    private String checkRetention(Outcome outcome) {
        JsonNode older = api.get("/api/v1/backups/" + outcome.subject()).json();
        boolean listed = "SUCCEEDED".equals(older.path("status").asString());
        if (outcome.succeeded() && listed) {
            return "retention SUCCEEDED but the expired backup is still SUCCEEDED";
        }
        int left = keys(location(older) + "/").size();
        if (!listed && left > 0) {
            notes.add(left + " object(s) of the expired (no longer listed) backup left for the leftovers sweep");
        }
        return listed ? checksumVerified(outcome.subject()) : null;
    }

    /** Every SUCCEEDED backup on the bucket still has an object for each of its files. */
    private String everySucceededBackupHasItsObjects() {
        for (String cluster : List.of("cloudy", "aging")) {
            for (JsonNode backup : succeeded(cluster)) {
                String location = location(backup);
                for (JsonNode file : backup.path("files")) {
                    if (keys(location + "/" + file.path("path").asString()).isEmpty()) {
                        return "SUCCEEDED backup " + backup.path("id").asString() + " lacks "
                                + file.path("path").asString();
                    }
                }
            }
        }
        return null;
    }

    private String checksumVerified(String id) {
        return settled(() -> checksumVerifiedOnce(id), "backup " + id.substring(0, 8));
    }

    /**
     * A read check tried up to three times: right after a reset or a hang the S3 client's pool may still hold dead
     * connections, and a read on one fails once (NoHttpResponseException, not retried by the SDK). The table notes
     * each retried read; a read that fails three times breaks the rule.
     */
    private String settled(java.util.function.Supplier<String> check, String what) {
        String first = null;
        for (int attempt = 1; ; attempt++) {
            String broken = check.get();
            if (broken == null) {
                if (attempt > 1) {
                    notes.add(what + " read on attempt " + attempt + " (first: " + (first.contains("failed to respond")
                            ? "dead pooled connection, NoHttpResponseException" : first.replace('\n', ' ')) + ")");
                }
                return null;
            }
            first = first == null ? broken : first;
            if (attempt == 3) {
                return broken;
            }
            Api.sleep(500);
        }
    }

    /** Null when a CHECKSUM verification passes and a single-file backup downloads with its SHA-256. */
    private String checksumVerifiedOnce(String id) {
        Api.Response r = api.post("/api/v1/backups/" + id + "/verifications", Map.of("level", "CHECKSUM"));
        if (r.status() != 202) {
            return "verification of " + id + " refused: " + r.body();
        }
        JsonNode done = api.awaitJob(r.field("id"), Duration.ofMinutes(2));
        JsonNode backup = api.get("/api/v1/backups/" + id).json();
        if (!"SUCCEEDED".equals(done.path("status").asString())
                || !"PASSED".equals(backup.path("verification").path("status").asString())) {
            return "backup " + id + " does not verify: " + backup.path("verification").path("detail").asString();
        }
        return downloadsWhole(backup);
    }

    /** Null when the backup has several files or its single file downloads with its SHA-256. */
    private String downloadsWhole(JsonNode backup) {
        String id = backup.path("id").asString();
        if (backup.path("files").size() != 1) {
            return null;
        }
        try {
            byte[] read = api.download("/api/v1/backups/" + id + "/content");
            return Sha256.of(read).equals(backup.path("files").path(0).path("sha256").asString()) ? null
                    : "backup " + id + " downloads other bytes";
        } catch (Exception | AssertionError e) {
            return "backup " + id + " does not download: " + e.getMessage();
        }
    }

    /** Where the backup's objects are in the bucket (no prefix configured): cluster/KIND/id. */
    private static String location(JsonNode backup) {
        return backup.path("cluster").asString() + "/" + backup.path("kind").asString() + "/"
                + backup.path("id").asString();
    }

    private List<JsonNode> succeeded(String cluster) {
        List<JsonNode> found = new ArrayList<>();
        api.get("/api/v1/backups?cluster=" + cluster + "&status=SUCCEEDED&size=500").json().path("content")
                .forEach(found::add);
        return found;
    }

    private void register(String name, String repository, Map<String, Integer> retention) {
        Map<String, Object> body = new java.util.LinkedHashMap<>(Map.of("name", name, "host", pg.host(), "port",
                pg.port(), "username", pg.superuser(), "repository", repository));
        if (retention != null) {
            body.put("retention", retention);
        }
        Api.Response r = api.post("/api/v1/clusters", body);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    private static List<String> keys(String prefix) {
        return keys(S3.bucket(), prefix);
    }

    private static List<String> keys(String bucket, String prefix) {
        return DIRECT.listObjectsV2(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(o -> o.key()).toList();
    }

    private static String bucket(String name) {
        DIRECT.createBucket(b -> b.bucket(name));
        return name;
    }

    /**
     * After a re-encryption (the relay healed): every object of "rekey" reads back, through what the catalog
     * points at — the dump verifies at CHECKSUM level and downloads with its SHA-256, the copy serves the right
     * bytes alone, the WAL archive verifies and each file is fetched with its SHA-256. A FAILED run is then run
     * again and must SUCCEED. Then no object of the bucket is under the old key (each object's first line names
     * its key), and the catalog agrees: the old key can be removed (refused while a recorded object needs it).
     */
    private String checkReencryption(Outcome outcome) {
        String broken = rekeyedReadable(true);
        if (broken != null) {
            return (outcome.succeeded() ? "" : "after the FAILED run: ") + broken;
        }
        if (!outcome.succeeded()) {
            Outcome again = run(Job.REENCRYPT);
            if (!again.succeeded()) {
                return "the re-run " + again.detail();
            }
            broken = rekeyedReadable(false);
            if (broken != null) {
                return "after the re-run: " + broken;
            }
        }
        List<String> old = new ArrayList<>();
        for (String key : keys(REKEY_BUCKET, "")) {
            byte[] head = DIRECT.getObjectAsBytes(b -> b.bucket(REKEY_BUCKET).key(key).range("bytes=0-63"))
                    .asByteArray();
            if (new String(head, java.nio.charset.StandardCharsets.ISO_8859_1)
                    .startsWith("pgvault-aead-1 " + oldKey + "\n")) {
                old.add(key);
            }
        }
        if (!old.isEmpty()) {
            return old.size() + " object(s) still under the old key " + oldKey + ": " + old;
        }
        Api.Response removed = api.delete("/api/v1/repositories/rekey/keys/" + oldKey);
        return removed.status() == 200 ? null : "the old key cannot be removed: " + removed.body();
    }

    /**
     * Null when everything in "rekey" reads back whole through the catalog. {@code verifications}: the dump's
     * CHECKSUM verification and the WAL archive's verification too (jobs), else the reads that check the same
     * bytes of these single-file objects against the same SHA-256: the download and the fetches.
     */
    private String rekeyedReadable(boolean verifications) {
        String broken = verifications ? checksumVerified(rekeyDump)
                : settled(() -> downloadsWhole(api.get("/api/v1/backups/" + rekeyDump).json()), "the dump in rekey");
        if (broken == null) {
            broken = settled(() -> copyReadsAlone(rekeyCopied, "rekey", REKEY_BUCKET, "the re-encryption"),
                    "the copy in rekey");
        }
        if (broken == null && verifications) {
            broken = settled(this::walVerified, "the WAL archive of rekeyed");
        }
        for (Map.Entry<String, byte[]> w : rekeyWal.entrySet()) {
            if (broken == null) {
                broken = settled(() -> fetchedWhole("rekeyed", w.getKey(), w.getValue()), "WAL " + w.getKey());
            }
        }
        return broken;
    }

    private String walVerified() {
        Api.Response r = api.post("/api/v1/clusters/rekeyed/wal/verifications", Map.of());
        if (r.status() != 202) {
            return "the WAL verification is refused: " + r.body();
        }
        JsonNode done = api.awaitJob(r.field("id"), Duration.ofMinutes(2));
        return "SUCCEEDED".equals(done.path("status").asString()) ? null
                : "the WAL archive does not verify: " + done.path("error").asString();
    }

    private String fetchedWhole(String cluster, String name, byte[] body) {
        try {
            byte[] bytes = api.download("/api/v1/clusters/" + cluster + "/wal/" + name);
            return Sha256.of(bytes).equals(Sha256.of(body)) ? null : "fetch of " + name + " serves other bytes";
        } catch (Exception | AssertionError e) {
            return name + " cannot be fetched: " + e.getMessage();
        }
    }
}
