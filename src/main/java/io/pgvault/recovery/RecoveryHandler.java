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
import io.pgvault.wal.ArchivedSegments;
import io.pgvault.wal.Lsn;
import io.pgvault.wal.WalArchiveService;
import io.pgvault.wal.WalCommands;
import io.pgvault.wal.WalFileName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
    private static final String LOCK_NAME = ".pgvault-recovery-in-progress";

    private final JsonMapper json;
    private final BackupService backups;
    private final ClusterService clusters;
    private final ClusterAccess access;
    private final BaseBackupArchive archive;
    private final LocalPostgres postgres;
    private final WalArchiveService wal;
    private final Environment environment;
    private final Clock clock;

    RecoveryHandler(JsonMapper json, BackupService backups, ClusterService clusters, ClusterAccess access,
            BaseBackupArchive archive, LocalPostgres postgres, WalArchiveService wal, Environment environment,
            Clock clock) {
        this.json = json;
        this.backups = backups;
        this.clusters = clusters;
        this.access = access;
        this.archive = archive;
        this.postgres = postgres;
        this.wal = wal;
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

        boolean wasRunning = false;
        Path movedAside = null;
        if (plan.replaceExisting() && !RecoveryService.isEmpty(directory)) {
            wasRunning = stopServer(directory, context);
            movedAside = moveAside(directory, context);
            result.put("movedAsideTo", movedAside.toString());
        }
        int port = plan.port() != null ? plan.port() : movedAside != null ? cluster.port() : freePort();
        Claim claim;
        try {
            claim = claim(directory);
        } catch (Exception e) {
            putBack(directory, movedAside, wasRunning, port, context);
            throw e;
        }
        try {
            prepare(plan, backup, cluster, directory, port, movedAside, context);
            Files.delete(claim.lock());
        } catch (Exception e) {
            undoPrepare(claim, context);
            putBack(directory, movedAside, wasRunning, port, context);
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

    /**
     * For restore drills: extracts {@code backup} into {@code directory} (new or empty, pgvault's own), starts
     * it as a throwaway server on a free port, recovering only to consistency, and waits until it is promoted.
     * Returns the port; {@link #stopCopy} ends it.
     */
    int startCopy(BackupView backup, Path directory, JobContext context) throws Exception {
        ClusterView cluster = clusters.get(backup.cluster());
        RecoveryPlan plan = new RecoveryPlan(new RecoveryTarget(null, null, null, null, null, true), true,
                RecoveryAction.PROMOTE, "latest", backup.id(), directory.toString(), null, true, false, null, null);
        int port = freePort();
        prepare(plan, backup, cluster, directory, port, null, context);
        Path log = directory.resolve(LOG_NAME);
        try {
            context.phase("starting a throwaway server on port " + port);
            postgres.start(directory, log, port, context.cancellation());
            await(plan, cluster.name(), directory, port, log, context.cancellation());
        } finally {
            copyLog(log, context);
        }
        return port;
    }

    void stopCopy(Path directory) {
        stopQuietly(directory);
    }

    /** Stops the server running in the directory, if one does; says whether one did. */
    private boolean stopServer(Path directory, JobContext context) throws IOException, InterruptedException {
        if (!postgres.mayBeRunning(directory) || !postgres.isRunning(directory)) {
            return false;
        }
        context.phase("stopping the server in " + directory);
        context.log("pgvault: stopping the server running in " + directory + " (pg_ctl stop -m fast)");
        postgres.stop(directory, "fast", context.cancellation());
        return true;
    }

    /** Renames the directory next to itself, where it stays until the operator removes it. */
    private Path moveAside(Path directory, JobContext context) throws IOException {
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(clock.instant().atOffset(ZoneOffset.UTC));
        Path aside = directory.resolveSibling(directory.getFileName() + ".pgvault-replaced-" + stamp);
        Files.move(directory, aside, StandardCopyOption.ATOMIC_MOVE);
        context.log("pgvault: moved the old data directory aside to " + aside + " (it is kept, never deleted)");
        return aside;
    }

    /** This job's hold on an empty data directory: a lock file only it created, and whether it made the directory. */
    private record Claim(Path directory, Path lock, boolean created) {
    }

    /**
     * Takes the directory for this recovery: creates it, or finds it empty, and creates a lock file in it
     * that no other recovery can create too. From then on everything in it is this job's to remove; files
     * found there before are never touched.
     */
    private static Claim claim(Path directory) throws IOException {
        Files.createDirectories(directory.getParent());
        boolean created;
        try {
            Files.createDirectory(directory, BaseBackupArchive.PRIVATE);
            created = true;
        } catch (FileAlreadyExistsException e) {
            created = false;
        }
        Path lock = directory.resolve(LOCK_NAME);
        try {
            Files.createFile(lock);
        } catch (FileAlreadyExistsException e) {
            throw new IllegalStateException("another recovery is writing into " + directory);
        }
        try (Stream<Path> children = Files.list(directory)) {
            if (children.anyMatch(c -> !c.equals(lock))) {
                Files.delete(lock);
                throw new IllegalStateException("data directory " + directory + " is no longer empty; nothing in it "
                        + "was touched");
            }
        }
        return new Claim(directory, lock, created);
    }

    private void prepare(RecoveryPlan plan, BackupView backup, ClusterView cluster, Path directory, int port,
            Path movedAside, JobContext context) throws IOException, InterruptedException {
        Files.setPosixFilePermissions(directory, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        context.phase("extracting the base backup");
        long total = BaseBackupArchive.storedBytes(backup);
        archive.extract(backup, directory, context.cancellation(), done -> context.bytes(done, total));
        context.phase("writing the recovery configuration");
        Files.deleteIfExists(directory.resolve("standby.signal"));
        Files.deleteIfExists(directory.resolve("postmaster.pid"));
        if (movedAside != null) {
            carryOverWal(movedAside, directory, cluster.name(), context);
        }
        List<String> lines = RecoveryConfig.lines(plan, walUrl(cluster.name()), port, movedAside == null);
        Path autoConf = directory.resolve("postgresql.auto.conf");
        List<String> existing = Files.exists(autoConf) ? Files.readAllLines(autoConf, StandardCharsets.UTF_8) : List.of();
        List<String> merged = RecoveryConfig.merge(existing, lines);
        existing.stream().filter(l -> !merged.contains(l))
                .forEach(l -> context.log("pgvault: postgresql.auto.conf: removed the backup's " + l));
        Files.write(autoConf, merged, StandardCharsets.UTF_8);
        Files.createFile(directory.resolve("recovery.signal"));
        Path header = directory.resolve(WalCommands.HEADER_FILE);
        Files.deleteIfExists(header);
        Files.writeString(Files.createFile(header, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))),
                WalCommands.header(clusters.archiveToken(cluster.name())), StandardCharsets.UTF_8);
        lines.stream().filter(l -> !l.isEmpty()).forEach(l -> context.log("pgvault: postgresql.auto.conf: " + l));
        postgres.handOver(directory);
    }

    /**
     * The WAL an in-place recovery must not lose: the replaced server's segments that never reached the
     * archive (the last, unfinished one at least), up to its shutdown checkpoint, copied into the new
     * pg_wal. restore_command finds them missing in the archive and PostgreSQL then reads them from there.
     */
    private void carryOverWal(Path aside, Path directory, String cluster, JobContext context)
            throws IOException, InterruptedException {
        Map<String, String> control = postgres.controlData(aside);
        String checkpoint = control.get("Latest checkpoint location");
        String tli = control.get("Latest checkpoint's TimeLineID");
        if (checkpoint == null || tli == null || !Files.isDirectory(aside.resolve("pg_wal"))) {
            context.log("pgvault: could not read the replaced server's last checkpoint; no WAL carried over");
            return;
        }
        ArchivedSegments archived = wal.segments(cluster, Long.parseLong(tli));
        long last = Lsn.parse(checkpoint).segment(archived.segmentSize());
        List<Path> copy = new ArrayList<>();
        try (Stream<Path> files = Files.list(aside.resolve("pg_wal"))) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (!WalFileName.isSegment(name)) {
                    continue;
                }
                WalFileName parsed = WalFileName.parse(name);
                long position = parsed.position(archived.segmentSize());
                if (parsed.timeline() == archived.timeline() && position <= last
                        && !archived.archivedAt().containsKey(position)) {
                    copy.add(file);
                }
            }
        }
        Path target = Files.createDirectories(directory.resolve("pg_wal"));
        for (Path file : copy) {
            Files.copy(file, target.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            context.log("pgvault: carried over " + file.getFileName() + " from the replaced server (not archived)");
        }
    }

    /** Removes what this recovery wrote into the directory it claimed, and the directory if it made it. */
    private static void undoPrepare(Claim claim, JobContext context) {
        try {
            if (claim.created()) {
                FileTrees.delete(claim.directory());
            } else {
                try (Stream<Path> children = Files.list(claim.directory())) {
                    for (Path child : children.toList()) {
                        FileTrees.delete(child);
                    }
                }
            }
        } catch (IOException e) {
            context.log("pgvault: could not remove the partial recovery in " + claim.directory() + ": " + e.getMessage());
        }
    }

    /** After a failure before the new server started: the replaced directory back in place, its server running again. */
    private void putBack(Path directory, Path movedAside, boolean wasRunning, int port, JobContext context) {
        if (movedAside == null) {
            return;
        }
        try {
            Files.move(movedAside, directory, StandardCopyOption.ATOMIC_MOVE);
            context.log("pgvault: the recovery failed before its server started; moved " + movedAside + " back to "
                    + directory);
            if (wasRunning) {
                postgres.start(directory, directory.resolve(LOG_NAME), port, Cancellation.none());
                context.log("pgvault: started the original server in " + directory + " again");
            }
        } catch (Exception e) {
            context.log("pgvault: could not put " + movedAside + " back to " + directory
                    + (wasRunning ? " and start its server" : "") + ": " + e.getMessage());
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
                            + "then " + LocalPostgres.replayPauseState(conn) + " end")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return "promoted";
                }
                if (plan.action() == RecoveryAction.PAUSE && "paused".equals(rs.getString(2))) {
                    return "paused";
                }
            } catch (SQLException e) {
                String state = e.getSQLState() == null ? "" : e.getSQLState();
                if (state.startsWith("28") || state.startsWith("3D")) {
                    // the copy's pg_hba.conf or databases come from the source: waiting would never end
                    throw new IllegalStateException("pgvault cannot connect to the recovered server on port " + port
                            + " to watch it: " + e.getMessage(), e);
                }
                // otherwise not accepting connections yet (starting up, or not consistent)
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
