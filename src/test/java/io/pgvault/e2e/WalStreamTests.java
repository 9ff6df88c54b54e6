package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.wal.WalStreamer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * walArchive STREAM: pgvault's own pg_receivewal, on a replication slot, feeds the archive; killed, it is
 * started again and nothing is missed; switched off, its slot is dropped so the server keeps no WAL for it.
 * The streamer survives its lifecycle being stopped and started again (Spring's test framework does that to
 * the cached contexts it pauses while another test's context runs).
 */
class WalStreamTests extends EndToEndTest {

    @Autowired
    WalStreamer streamer;

    @Test
    void pgReceivewalFeedsTheArchiveAndIsRestartedWhenItDies() throws Exception {
        streamer.stop();
        streamer.start();
        try (PgCluster pg = PgCluster.start("streamed")) {
            Api.Response registered = api.post("/api/v1/clusters", Map.of("name", "streamed", "host", pg.host(),
                    "port", pg.port(), "username", pg.superuser(), "walArchive", "STREAM"));
            assertThat(registered.status()).as(registered.body()).isEqualTo(201);
            pg.execute("postgres", "CREATE TABLE t (id int)");
            awaitStreaming(pg); // what the server wrote before the slot existed is not streamed (PUSH has that)

            String first = switchSegment(pg, 1);
            awaitArchived(first);
            assertThat(pg.queryValue("postgres", "SELECT count(*) FROM pg_replication_slots WHERE slot_name = ?",
                    WalStreamer.slotName("streamed"))).isEqualTo(1L);

            // pg_receivewal dies: the supervisor starts it again, and the slot kept what it missed meanwhile
            List<ProcessHandle> receivers = receivers();
            assertThat(receivers).hasSize(1);
            receivers.get(0).destroyForcibly();
            receivers.get(0).onExit().get();
            String second = switchSegment(pg, 2);
            String third = switchSegment(pg, 3);
            awaitArchived(second);
            awaitArchived(third);
            assertThat(receivers()).hasSize(1);
            JsonNode summary = api.get("/api/v1/clusters/streamed/wal").json();
            assertThat(summary.path("streaming").path("running").asBoolean()).as(summary.toString()).isTrue();
            assertThat(summary.path("streaming").path("restarts").asInt()).isGreaterThanOrEqualTo(1);
            assertThat(summary.path("streaming").path("lastError").asString()).contains("137");
            JsonNode timeline = summary.path("timelines").get(0);
            assertThat(timeline.path("gaps").size()).as(timeline.toString()).isZero();

            // deleting a streamed cluster would leave its slot behind on the server: refused
            Api.Response delete = api.delete("/api/v1/clusters/streamed");
            assertThat(delete.status()).as(delete.body()).isEqualTo(409);
            assertThat(delete.field("detail")).contains("walArchive to NONE");

            // no longer streamed: the receiver stops and the slot goes
            Map<String, Object> update = new java.util.HashMap<>(Map.of("host", pg.host(), "port", pg.port(),
                    "username", pg.superuser(), "walArchive", "NONE"));
            assertThat(api.patch("/api/v1/clusters/streamed", update).status()).isEqualTo(200);
            long deadline = System.currentTimeMillis() + 30_000;
            while (!receivers().isEmpty() || ((Number) pg.queryValue("postgres", "SELECT count(*) FROM "
                    + "pg_replication_slots WHERE slot_name = ?", WalStreamer.slotName("streamed"))).longValue() > 0) {
                assertThat(System.currentTimeMillis()).as("receiver or slot still there").isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }

    private static void awaitStreaming(PgCluster pg) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (((Number) pg.queryValue("postgres", "SELECT count(*) FROM pg_replication_slots WHERE slot_name = ? "
                + "AND active", WalStreamer.slotName("streamed"))).longValue() == 0) {
            assertThat(System.currentTimeMillis()).as("pg_receivewal never started").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static String switchSegment(PgCluster pg, int batch) {
        pg.execute("postgres", "INSERT INTO t SELECT generate_series(1, 1000) + " + batch * 1000);
        String segment = (String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())");
        pg.execute("postgres", "SELECT pg_switch_wal()");
        return segment;
    }

    private void awaitArchived(String segment) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (api.get("/api/v1/clusters/streamed/wal/" + segment).status() != 200) {
            assertThat(System.currentTimeMillis()).as("segment %s never reached the archive", segment)
                    .isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private static List<ProcessHandle> receivers() {
        // this JVM's own (its server's): StreamFailoverTests' servers, in the other fork, stream a cluster of this name
        return ProcessHandle.current().descendants().filter(p -> p.info().commandLine().orElse("")
                .contains("--slot=" + WalStreamer.slotName("streamed"))).filter(p -> p.info().commandLine()
                .orElse("").contains("--directory=")).toList();
    }
}
