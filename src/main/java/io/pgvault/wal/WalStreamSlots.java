package io.pgvault.wal;

import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.Cancellation;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The replication slots of streamed clusters, on their servers: dropping one when its cluster stops streaming
 * (a slot nobody reads makes the server keep its WAL forever), and freeing one an orphaned pg_receivewal holds.
 */
@Component
class WalStreamSlots {

    private static final Logger log = LoggerFactory.getLogger(WalStreamSlots.class);

    private final ClusterAccess access;
    private final ProcessExecutor executor;

    WalStreamSlots(ClusterAccess access, ProcessExecutor executor) {
        this.access = access;
        this.executor = executor;
    }

    /**
     * Drops the cluster's slot. Right after the receiver ended the server may still count the slot active, so a
     * refusal is tried again a few times.
     */
    boolean drop(String cluster) {
        String slot = WalStreamer.slotName(cluster);
        String failure = null;
        for (int attempt = 1; attempt <= 5; attempt++) {
            try (ToolSession session = access.toolSession(cluster)) {
                executor.run(ProcessSpec.of(List.of(session.tool("pg_receivewal"), "--slot=" + slot,
                        "--drop-slot", "--no-password")).environment(session.environment(null))
                        .timeout(Duration.ofMinutes(1)), Cancellation.none());
                log.info("WAL streaming of '{}': slot {} dropped", cluster, slot);
                return true;
            } catch (Exception e) {
                failure = e.getMessage();
            }
            try {
                Thread.sleep(1000L * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        log.warn("WAL streaming of '{}': could not drop slot {} (drop it by hand with pg_drop_replication_slot, or "
                + "the server keeps its WAL): {}", cluster, slot, failure);
        return false;
    }

    /**
     * Ends the replication connection that holds the cluster's slot when it is pgvault's own pg_receivewal
     * (application name pgvault): the caller holds the lease, so it is an orphan of an instance that died.
     */
    boolean free(String cluster) {
        String slot = WalStreamer.slotName(cluster);
        try (Connection c = access.connect(cluster, access.target(cluster).maintenanceDatabase());
                PreparedStatement st = c.prepareStatement("select pg_terminate_backend(s.active_pid) "
                        + "from pg_replication_slots s join pg_stat_activity a on a.pid = s.active_pid "
                        + "where s.slot_name = ? and s.active and a.application_name = 'pgvault'")) {
            st.setString(1, slot);
            try (ResultSet rs = st.executeQuery()) {
                if (rs.next() && rs.getBoolean(1)) {
                    log.warn("WAL streaming of '{}': ended the replication connection of an earlier pg_receivewal "
                            + "that still held slot {} (its instance's lease had run out)", cluster, slot);
                    return true;
                }
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("WAL streaming of '{}': could not free slot {}: {}", cluster, slot, e.toString());
        }
        return false;
    }
}
