package io.pgvault.recovery;

import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.LocalPostgres;
import io.pgvault.job.Cancellation;
import io.pgvault.job.JobContext;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/**
 * Starts a recovered server and watches it until recovery has ended the way its plan asked: promoted, paused
 * or shut down at the target. A server that exits during start-up or recovery fails the job within seconds,
 * with its last log lines. The server's log is read with its OS user's rights (it lies in its data directory).
 */
@Component
class ServerWatcher {

    static final String LOG_NAME = "pgvault-recovery.log";
    private static final Pattern REDO_DONE = Pattern.compile("redo done at ([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern LAST_TX = Pattern.compile("last completed transaction was at log time (.+)$");
    private static final long LOG_LIMIT = 256 * 1024;

    private final LocalPostgres postgres;
    private final ClusterAccess access;
    private final ServerUserFiles files;

    ServerWatcher(LocalPostgres postgres, ClusterAccess access, ServerUserFiles files) {
        this.postgres = postgres;
        this.access = access;
        this.files = files;
    }

    /** The server's state once recovery ended: "promoted", "paused" or "shut down". */
    String startAndAwait(Path directory, int port, Path configFile, RecoveryAction action, String cluster,
            Cancellation cancellation) throws IOException, InterruptedException {
        Path log = directory.resolve(LOG_NAME);
        LocalPostgres.Started started = postgres.start(directory, log, port, configFile, 10, cancellation);
        if (started == LocalPostgres.Started.EXITED) {
            String text = log(directory);
            if (action != RecoveryAction.PROMOTE && text.contains("shutdown at recovery target")) {
                return "shut down";
            }
            throw new IllegalStateException("the server exited during start-up: " + tail(text, 8));
        }
        return await(directory, port, action, cluster, cancellation);
    }

    private String await(Path directory, int port, RecoveryAction action, String cluster, Cancellation cancellation)
            throws IOException, InterruptedException {
        long checked = System.nanoTime();
        long since = checked;
        while (true) {
            cancellation.throwIfCancelled();
            boolean down = !postgres.mayBeRunning(directory);
            if (!down && System.nanoTime() - checked > 2_000_000_000L) {
                // a postmaster killed outright leaves its pid file behind
                down = !postgres.isRunning(directory);
                checked = System.nanoTime();
            }
            if (down) {
                String text = log(directory);
                if (action != RecoveryAction.PROMOTE && text.contains("shutdown at recovery target")) {
                    return "shut down";
                }
                throw new IllegalStateException("the server stopped during recovery: " + tail(text, 8));
            }
            try (Connection conn = access.connectToLocalCopy(cluster, port); Statement st = conn.createStatement();
                    ResultSet rs = st.executeQuery("select pg_is_in_recovery(), case when pg_is_in_recovery() "
                            + "then pg_is_wal_replay_paused() end")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return "promoted";
                }
                if (action == RecoveryAction.PAUSE && rs.getBoolean(2)) {
                    return "paused";
                }
            } catch (SQLException e) {
                String state = e.getSQLState() == null ? "" : e.getSQLState();
                if (state.startsWith("28") || state.startsWith("3D")) {
                    // the copy's pg_hba.conf or databases come from the source: waiting would never end
                    throw new IllegalStateException("pgvault cannot connect to the recovered server on port " + port
                            + " to watch it (its pg_hba.conf and roles are the source's; register the cluster with "
                            + "a password that the source's pg_hba.conf accepts on 127.0.0.1): " + e.getMessage(), e);
                }
                // otherwise not accepting connections yet (starting up, or not consistent)
            }
            // a restore's recovery is often done within seconds: look often then, and calmly afterwards
            Thread.sleep(System.nanoTime() - since < 10_000_000_000L ? 50 : 250);
        }
    }

    /** The last replayed LSN and transaction time and the timeline, from the server or, once it is down, its log. */
    void reached(String state, String cluster, Path directory, int port, Map<String, Object> result) {
        if (state.equals("shut down")) {
            for (String line : log(directory).lines().toList()) {
                Matcher redo = REDO_DONE.matcher(line);
                if (redo.find()) {
                    result.put("reachedLsn", redo.group(1));
                }
                Matcher tx = LAST_TX.matcher(line);
                if (tx.find()) {
                    result.put("reachedTime", tx.group(1));
                }
            }
            return;
        }
        try (Connection conn = access.connectToLocalCopy(cluster, port); Statement st = conn.createStatement()) {
            try (ResultSet rs = st.executeQuery("select pg_last_wal_replay_lsn()::text, pg_last_xact_replay_timestamp()")) {
                rs.next();
                result.put("reachedLsn", rs.getString(1));
                OffsetDateTime time = rs.getObject(2, OffsetDateTime.class);
                result.put("reachedTime", time == null ? null : time.toString());
            }
            String timeline = state.equals("promoted")
                    ? "select ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int"
                    : "select timeline_id from pg_control_checkpoint()";
            try (ResultSet rs = st.executeQuery(timeline)) {
                rs.next();
                result.put("timeline", rs.getInt(1));
            }
        } catch (SQLException e) {
            result.put("reachedLsn", null);
            result.put("note", "the reached point could not be read: " + e.getMessage());
        }
    }

    /** The server's log lines into the job's log. */
    void copyLog(Path directory, JobContext context) {
        log(directory).lines().forEach(line -> context.log("postgres: " + line));
    }

    /** Stops the server in the directory immediately, if one runs; quietly, the failure being reported matters more. */
    void stopQuietly(Path directory) {
        try {
            if (postgres.mayBeRunning(directory) && postgres.isRunning(directory)) {
                postgres.stop(directory, "immediate", Cancellation.none());
            }
        } catch (Exception e) {
            // the failure being reported matters more
        }
    }

    String log(Path directory) {
        return files.tail(directory.resolve(LOG_NAME), LOG_LIMIT);
    }

    static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
