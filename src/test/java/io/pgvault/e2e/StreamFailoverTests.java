package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.wal.WalStreamer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * walArchive STREAM across two instances: the instance that runs a cluster's pg_receivewal is killed with
 * SIGKILL (its pg_receivewal lives on, orphaned, holding the replication slot). Once the dead instance's lease has
 * run out, the survivor ends the orphan's replication connection and runs its own pg_receivewal on the slot.
 * Then a lost host is played (the survivor killed, its receiver gone, a segment written and the slot moved past
 * it, as a receiver that acknowledged WAL its spool never shipped leaves it): a new instance starts after the
 * archive's last segment rather than where the slot is, and no gap opens.
 */
class StreamFailoverTests {

    static final Duration LEASE = Duration.ofSeconds(12);

    @Test
    void aKilledInstancesReceiverMovesToTheSurvivor() throws Exception {
        PgCluster shared = PgCluster.shared();
        Path dir = io.pgvault.testing.TempDirs.create("pgvault-stream-failover");
        List<String> common = new java.util.ArrayList<>(ServerProcess.sharedCatalog(shared, "pgvault_stream_failover"));
        common.addAll(List.of("--pgvault.security.key-file=" + dir.resolve("pgvault.key"),
                // one repository for both (a shared filesystem here; S3 in FleetFailoverTests)
                "--pgvault.repository=shared", "--pgvault.repositories.shared.type=local",
                "--pgvault.repositories.shared.path=" + dir.resolve("repository"),
                // a shorter lease than the default 30 s: the survivor takes over sooner (renewed every 1 to 2 s)
                "--pgvault.wal.stream-lease=" + LEASE.toSeconds() + "s"));
        // wal_keep_size: the segment the slot is moved past (below) stays in pg_wal until the next instance streams it,
        // however late a checkpoint comes on a loaded machine (without it, one that removed the segment made the
        // server unable to stream it, the receiver rightly fell back to the slot's position and the test failed)
        try (PgCluster pg = PgCluster.start("stream-failover", Map.of("wal_keep_size", "256MB"));
                ServerProcess s1 = ServerProcess.start(Files.createDirectories(dir.resolve("s1")),
                        ServerProcess.freePort(), args(common, "s1"));
                ServerProcess s2 = ServerProcess.start(Files.createDirectories(dir.resolve("s2")),
                        ServerProcess.freePort(), args(common, "s2"))) {
            Api onS1 = new Api(s1.port);
            Api.Response registered = onS1.post("/api/v1/clusters", Map.of("name", "streamed", "host", pg.host(),
                    "port", pg.port(), "username", pg.superuser(), "walArchive", "STREAM"));
            assertThat(registered.status()).as(registered.body()).isEqualTo(201);
            pg.execute("postgres", "CREATE TABLE t (id int)");
            JsonNode streaming = awaitStreaming(onS1, null, Duration.ofSeconds(60));
            // the lease holder is "<instance-name>/<process>"
            String owner = streaming.path("instance").asString().split("/")[0];
            assertThat(owner).isIn("s1", "s2");
            awaitSlotActive(pg); // what the server wrote before the slot was in use is not streamed
            awaitArchived(onS1, switchSegment(pg, 1), Duration.ofSeconds(60));

            ServerProcess victim = owner.equals("s1") ? s1 : s2;
            Api survivor = new Api(owner.equals("s1") ? s2.port : s1.port);
            victim.kill();
            // the orphaned pg_receivewal lives on, holding the slot
            awaitSlotActive(pg);
            JsonNode moved = awaitStreaming(survivor, owner, Duration.ofSeconds(90));
            assertThat(moved.path("instance").asString()).doesNotStartWith(owner + "/");
            awaitSlotActive(pg);
            String after = switchSegment(pg, 2);
            awaitArchived(survivor, after, Duration.ofSeconds(60));

            // a host lost with its spool: its receiver had acknowledged WAL that never reached the archive (here:
            // the survivor killed too, its receiver stopped, a segment written, the slot moved past it). The next
            // instance starts after the archive's last segment, not where the slot is: no gap opens
            ServerProcess survivorProcess = owner.equals("s1") ? s2 : s1;
            survivorProcess.kill();
            for (ProcessHandle receiver : ProcessHandle.allProcesses().filter(p -> p.info().command()
                    .orElse("").endsWith("pg_receivewal") && String.join(" ", p.info().arguments()
                            .orElse(new String[0])).contains(dir.toString())).toList()) {
                receiver.destroyForcibly();
            }
            pg.execute("postgres", "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE active");
            String skipped = switchSegment(pg, 3);
            long inactive = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while ((Boolean) pg.queryValue("postgres", "SELECT active FROM pg_replication_slots WHERE slot_name = ?",
                    WalStreamer.slotName("streamed"))) {
                assertThat(System.nanoTime()).as("the slot stays active").isLessThan(inactive);
                Api.sleep(100);
            }
            pg.execute("postgres", "SELECT pg_replication_slot_advance('" + WalStreamer.slotName("streamed")
                    + "', pg_current_wal_lsn())");
            try (ServerProcess s3 = ServerProcess.start(Files.createDirectories(dir.resolve("s3")),
                    ServerProcess.freePort(), args(common, "s3"))) {
                Api onS3 = new Api(s3.port);
                try {
                    awaitArchived(onS3, skipped, Duration.ofSeconds(120));
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\nthe new instance's WAL streaming log:\n"
                            + s3.output().lines().filter(l -> l.contains("WAL streaming") || l.contains("receivewal"))
                                    .collect(java.util.stream.Collectors.joining("\n")), e);
                }
                JsonNode timeline = onS3.get("/api/v1/clusters/streamed/wal").json().path("timelines").get(0);
                assertThat(timeline.path("gaps")).as(timeline.toString()).isEmpty();
                survivor = onS3;
                // no longer streamed: the survivor stops its receiver and drops the slot
                assertThat(survivor.patch("/api/v1/clusters/streamed", Map.of("walArchive", "NONE")).status())
                        .isEqualTo(200);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (((Number) pg.queryValue("postgres", "SELECT count(*) FROM pg_replication_slots "
                        + "WHERE slot_name = ?", WalStreamer.slotName("streamed"))).longValue() > 0) {
                    assertThat(System.nanoTime()).as("the slot is still there").isLessThan(deadline);
                    Api.sleep(200);
                }
            }
            System.out.printf("StreamFailoverTests: pg_receivewal of a SIGKILLed instance moved to %s within 90 s "
                    + "of the kill (lease %d s)%n", moved.path("instance").asString(), LEASE.toSeconds());
        }
    }

    private static String[] args(List<String> common, String name) {
        List<String> all = new java.util.ArrayList<>(common);
        all.add("--pgvault.jobs.instance-name=" + name);
        return all.toArray(String[]::new);
    }

    /** The cluster's streaming status once a receiver runs on an instance other than {@code not}. */
    private static JsonNode awaitStreaming(Api api, String not, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode s = api.get("/api/v1/clusters/streamed/wal").json().path("streaming");
            if (s.path("running").asBoolean() && !s.path("instance").asString("").isEmpty()
                    && (not == null || !s.path("instance").asString().startsWith(not + "/"))) {
                return s;
            }
            assertThat(System.nanoTime()).as("no receiver runs: %s", s).isLessThan(deadline);
            Api.sleep(250);
        }
    }

    private static void awaitSlotActive(PgCluster pg) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (((Number) pg.queryValue("postgres", "SELECT count(*) FROM pg_replication_slots WHERE slot_name = ? "
                + "AND active", WalStreamer.slotName("streamed"))).longValue() == 0) {
            assertThat(System.nanoTime()).as("the slot is not active").isLessThan(deadline);
            Api.sleep(100);
        }
    }

    private static String switchSegment(PgCluster pg, int batch) {
        pg.execute("postgres", "INSERT INTO t SELECT generate_series(1, 1000) + " + batch * 1000);
        String segment = (String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())");
        pg.execute("postgres", "SELECT pg_switch_wal()");
        return segment;
    }

    private static void awaitArchived(Api api, String segment, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (api.get("/api/v1/clusters/streamed/wal/" + segment).status() != 200) {
            assertThat(System.nanoTime()).as("segment %s never reached the archive", segment).isLessThan(deadline);
            Api.sleep(200);
        }
    }
}
