package io.pgvault.recovery;

import io.pgvault.backup.BackupService;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.physical.BaseBackupArchive;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.cluster.LocalPostgres;
import io.pgvault.job.Cancellation;
import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.JobType;
import io.pgvault.storage.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs a checked recovery: moves an existing data directory aside when asked to replace it, extracts the
 * base backup, writes restore_command (fetching from pgvault) and the target into postgresql.auto.conf,
 * creates recovery.signal and, when asked, starts the server as the PostgreSQL OS user, watches it until
 * recovery ends, and records the point it reached. The server's log becomes the job's log.
 */
@Component
class RecoveryHandler implements JobHandler {

    private static final Pattern REDO_DONE = Pattern.compile("redo done at ([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern LAST_TX = Pattern.compile("last completed transaction was at log time (.+)$");
    private static final String LOG_NAME = "pgvault-recovery.log";

    private final JsonMapper json;
    private final BackupService backups;
    private final ClusterService clusters;
    private final ClusterAccess access;
    private final BaseBackupArchive archive;
    private final LocalPostgres postgres;
    private final Environment environment;
    private final Clock clock;

    RecoveryHandler(JsonMapper json, BackupService backups, ClusterService clusters, ClusterAccess access,
            BaseBackupArchive archive, LocalPostgres postgres, Environment environment, Clock clock) {
        this.json = json;
        this.backups = backups;
        this.clusters = clusters;
        this.access = access;
        this.archive = archive;
        this.postgres = postgres;
        this.environment = environment;
        this.clock = clock;
    }

    @Override
    public JobType type() {
        return JobType.RECOVERY;
    }

    @Override
    public void run(JobContext context) throws Exception {
        RecoveryPlan plan = json.readValue(context.payload(), RecoveryPlan.class);
        BackupView backup = backups.get(plan.backupId());
        ClusterView cluster = clusters.get(context.cluster());
        Path directory = Path.of(plan.dataDirectory());
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("backupId", backup.id());
        result.put("target", plan.target().toString());
        result.put("dataDirectory", directory.toString());
        context.log("pgvault: recovering backup " + backup.id() + " (ended at " + backup.stopLsn() + ", timeline "
                + backup.timeline() + ") into " + directory + ", target " + plan.target()
                + (plan.walFrom() == null ? "" : ", archived WAL " + plan.walFrom() + " to " + plan.walTo() + " checked"));

        Path movedAside = plan.replaceExisting() ? moveAside(directory, context) : null;
        if (movedAside != null) {
            result.put("movedAsideTo", movedAside.toString());
        }
        int port = plan.port() != null ? plan.port() : movedAside != null ? cluster.port() : freePort();
        try {
            prepare(plan, backup, cluster, directory, port, movedAside == null, context);
        } catch (Exception e) {
            undoPrepare(directory, movedAside, context);
            throw e;
        }
        result.put("port", port);
        result.put("started", plan.start());
        if (!plan.start()) {
            result.put("state", "ready to start");
            context.result(json.writeValueAsString(result));
            context.log("pgvault: the data directory is ready; start it with pg_ctl -D " + directory + " start");
            return;
        }
        Path log = directory.resolve(LOG_NAME);
        try {
            context.phase("starting the server on port " + port);
            postgres.start(directory, log, port, context.cancellation());
            context.phase("replaying WAL");
            String state = await(plan, cluster.name(), directory, port, log, context.cancellation());
            result.put("state", state);
            reached(state, cluster.name(), port, log, result);
            copyLog(log, context);
            context.result(json.writeValueAsString(result));
            context.log("pgvault: recovery reached " + result.get("reachedLsn") + " ("
                    + result.get("reachedTime") + "), server " + state + " on port " + port);
        } catch (Exception e) {
            copyLog(log, context);
            stopQuietly(directory);
            context.result(json.writeValueAsString(result));
            throw new IllegalStateException("recovery did not complete: " + e.getMessage() + ". The data directory "
                    + directory + " is left as it is for inspection" + (movedAside == null ? ""
                    : "; the replaced directory is at " + movedAside), e);
        }
    }

    /** Stops the server in the directory, if one runs, and renames the directory next to itself. */
    private Path moveAside(Path directory, JobContext context) throws IOException, InterruptedException {
        if (RecoveryService.isEmpty(directory)) {
            return null;
        }
        if (postgres.mayBeRunning(directory) && postgres.isRunning(directory)) {
            context.phase("stopping the server in " + directory);
            context.log("pgvault: stopping the server running in " + directory + " (pg_ctl stop -m fast)");
            postgres.stop(directory, "fast", context.cancellation());
        }
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(clock.instant().atOffset(ZoneOffset.UTC));
        Path aside = directory.resolveSibling(directory.getFileName() + ".pgvault-replaced-" + stamp);
        Files.move(directory, aside, StandardCopyOption.ATOMIC_MOVE);
        context.log("pgvault: moved the old data directory aside to " + aside + " (it is kept, never deleted)");
        return aside;
    }

    private void prepare(RecoveryPlan plan, BackupView backup, ClusterView cluster, Path directory, int port,
            boolean copy, JobContext context) throws IOException {
        if (!RecoveryService.isEmpty(directory)) {
            throw new IllegalStateException("data directory " + directory + " is no longer empty");
        }
        Files.createDirectories(directory.getParent());
        if (!Files.exists(directory)) {
            Files.createDirectory(directory, BaseBackupArchive.PRIVATE);
        }
        Files.setPosixFilePermissions(directory, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        context.phase("extracting the base backup");
        long total = BaseBackupArchive.storedBytes(backup);
        archive.extract(backup, directory, context.cancellation(), done -> context.bytes(done, total));
        context.phase("writing the recovery configuration");
        Files.deleteIfExists(directory.resolve("standby.signal"));
        Files.deleteIfExists(directory.resolve("postmaster.pid"));
        List<String> lines = RecoveryConfig.lines(plan, walUrl(cluster.name()), port, copy);
        Files.write(directory.resolve("postgresql.auto.conf"), lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        Files.createFile(directory.resolve("recovery.signal"));
        lines.stream().filter(l -> !l.isEmpty()).forEach(l -> context.log("pgvault: postgresql.auto.conf: " + l));
        postgres.handOver(directory);
    }

    /** Removes what this recovery extracted and puts a replaced directory back where it was. */
    private static void undoPrepare(Path directory, Path movedAside, JobContext context) {
        try {
            if (movedAside != null) {
                FileTrees.delete(directory);
                Files.move(movedAside, directory, StandardCopyOption.ATOMIC_MOVE);
                context.log("pgvault: the recovery failed before the server started; moved " + movedAside
                        + " back to " + directory);
            } else if (Files.isDirectory(directory)) {
                try (var children = Files.list(directory)) {
                    for (Path child : children.toList()) {
                        FileTrees.delete(child);
                    }
                }
            }
        } catch (IOException e) {
            context.log("pgvault: could not undo the partial recovery in " + directory + ": " + e.getMessage());
        }
    }

    /** Waits until recovery has ended the way the plan asked; returns the server's state. */
    private String await(RecoveryPlan plan, String cluster, Path directory, int port, Path log, Cancellation cancellation)
            throws IOException, InterruptedException {
        // the postmaster writes its pid file once its configuration is read; a bad setting ends it before that
        for (int i = 0; i < 600 && !postgres.mayBeRunning(directory) && !readLog(log).contains("FATAL:"); i++) {
            cancellation.throwIfCancelled();
            Thread.sleep(100);
        }
        while (true) {
            cancellation.throwIfCancelled();
            if (!postgres.mayBeRunning(directory)) {
                String text = readLog(log);
                if (plan.action() == RecoveryAction.SHUTDOWN && text.contains("shutdown at recovery target")
                        || plan.action() == RecoveryAction.PAUSE && text.contains("shutdown at recovery target")) {
                    return "shut down";
                }
                throw new IllegalStateException("the server stopped during recovery: " + tail(text, 6));
            }
            try (Connection conn = access.connectToLocalCopy(cluster, port);
                    Statement st = conn.createStatement();
                    ResultSet rs = st.executeQuery("select pg_is_in_recovery(), case when pg_is_in_recovery() "
                            + "then pg_get_wal_replay_pause_state() end")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return "promoted";
                }
                if (plan.action() == RecoveryAction.PAUSE && "paused".equals(rs.getString(2))) {
                    return "paused";
                }
            } catch (SQLException e) {
                // not accepting connections yet (starting up, or not consistent)
            }
            Thread.sleep(250);
        }
    }

    /** The last replayed LSN and transaction time and the timeline, from the server or, once it is down, its log. */
    private void reached(String state, String cluster, int port, Path log, Map<String, Object> result)
            throws IOException {
        if (state.equals("shut down")) {
            for (String line : readLog(log).lines().toList()) {
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

    private void stopQuietly(Path directory) {
        try {
            if (postgres.mayBeRunning(directory) && postgres.isRunning(directory)) {
                postgres.stop(directory, "immediate", Cancellation.none());
            }
        } catch (Exception e) {
            // the failure being reported matters more
        }
    }

    private static void copyLog(Path log, JobContext context) {
        readLog(log).lines().forEach(line -> context.log("postgres: " + line));
    }

    private static String readLog(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private String walUrl(String cluster) {
        String port = environment.getProperty("local.server.port", environment.getProperty("server.port", "8080"));
        return "http://127.0.0.1:" + port + "/api/v1/clusters/" + cluster + "/wal/";
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
