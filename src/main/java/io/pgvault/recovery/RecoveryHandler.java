package io.pgvault.recovery;

import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupView;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.cluster.LocalPostgres;
import io.pgvault.job.Cancellation;
import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.JobType;
import io.pgvault.wal.ArchivedWal;
import io.pgvault.wal.WalFileName;
import io.pgvault.wal.WalArchiveService;
import io.pgvault.wal.WalCommands;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs a checked recovery. In place: stops the cluster's server and moves its directory aside; into a new
 * directory: claims it below a recovery root. Then writes the directory (as the PostgreSQL OS user), starts the
 * server and watches it until recovery ends, and records the point it reached. A copy gets a fetch-only WAL
 * credential bound to this job; an in-place recovery gets the cluster's archive token back once it is done.
 * An in-place recovery that fails puts the original directory back and starts its server again; a delta restore
 * ({@code delta}, a block-store backup) writes into the cluster's own directory instead, so it has nothing to put
 * back: what the user asked for is the directory changed.
 */
@Component
class RecoveryHandler implements JobHandler<RecoveryPlan> {

    private final JsonMapper json;
    private final BackupCatalog backups;
    private final ClusterService clusters;
    private final LocalPostgres postgres;
    private final RecoveryRoots roots;
    private final DataDirectories directories;
    private final DataDirectoryWriter writer;
    private final ServerWatcher watcher;
    private final CopyTokens tokens;
    private final WalArchiveService wal;

    private final io.pgvault.copy.BackupSources sources;

    RecoveryHandler(JsonMapper json, BackupCatalog backups, ClusterService clusters, LocalPostgres postgres,
            RecoveryRoots roots, DataDirectories directories, DataDirectoryWriter writer, ServerWatcher watcher,
            CopyTokens tokens, WalArchiveService wal, io.pgvault.copy.BackupSources sources) {
        this.sources = sources;
        this.json = json;
        this.backups = backups;
        this.clusters = clusters;
        this.postgres = postgres;
        this.roots = roots;
        this.directories = directories;
        this.writer = writer;
        this.watcher = watcher;
        this.tokens = tokens;
        this.wal = wal;
    }

    @Override
    public JobType type() {
        return JobType.RECOVERY;
    }

    @Override
    public Class<RecoveryPlan> payloadType() {
        return RecoveryPlan.class;
    }

    @Override
    public void run(JobContext context, RecoveryPlan plan) throws Exception {
        BackupView backup = sources.readable(backups.get(plan.backupId()), context);
        ClusterView cluster = clusters.get(context.cluster());
        Path directory = Path.of(plan.dataDirectory());
        boolean inPlace = plan.replaceExisting();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("backupId", backup.id());
        result.put("repository", backup.repository());
        result.put("target", plan.target().toString());
        result.put("dataDirectory", directory.toString());
        context.log("pgvault: recovering backup " + backup.id() + " (ended at " + backup.stopLsn() + ", timeline "
                + backup.timeline() + ") into " + directory + (inPlace ? " in place" : "") + ", target " + plan.target()
                + (plan.walFrom() == null ? "" : ", archived WAL " + plan.walFrom() + " to " + plan.walTo() + " checked"));
        int port = plan.port() != null ? plan.port() : inPlace ? cluster.port() : Ports.free();
        if (!inPlace && plan.port() != null && Ports.inUse(port)) {
            throw new IllegalStateException("port " + port + " is in use on this host now; nothing was written");
        }
        Path configFile = inPlace ? clusterConfigFile(backup, cluster, directory) : null;

        Original original = null;
        boolean delta = inPlace && plan.delta() && Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS);
        if (delta) {
            stopIfRunning(directory, context);
            context.log("pgvault: delta restore: " + directory + " is brought to the backup in place (not moved "
                    + "aside): only blocks that differ are written, files the backup lacks are removed");
            result.put("delta", true);
        } else if (inPlace && Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            original = moveOriginalAside(directory, context);
            result.put("movedAsideTo", original.aside().toString());
        }
        Path root = inPlace ? directory.getParent() : roots.rootOf(directory);
        DataDirectories.Claim claim = null;
        try {
            if (!delta) {
                claim = directories.claim(root, directory);
            }
        } catch (Exception e) {
            putBack(original, directory, port, configFile, false, context);
            throw e;
        }
        // an in-place recovery left to start by hand promotes unseen and must then archive: the cluster's own token
        String token = inPlace && !plan.start() ? clusters.archiveToken(cluster.name())
                : tokens.issue(cluster.name(), context.jobId(), backup.id(), directory, plan.promised(),
                        tokens.scope(backup, plan));
        try {
            writer.write(plan, backup, directory, port, original == null ? null : original.aside(),
                    WalCommands.header(token), context);
            if (claim != null) {
                directories.release(claim);
            }
        } catch (Exception e) {
            if (claim != null) {
                directories.undo(claim, context::log);
            }
            tokens.revokeJob(context.jobId(), "the recovery failed before its server started");
            putBack(original, directory, port, configFile, false, context);
            throw e;
        }
        result.put("port", port);
        result.put("started", plan.start());
        if (!plan.start()) {
            result.put("state", "ready to start");
            context.result(json.writeValueAsString(result));
            context.log("pgvault: the data directory is ready; start it with pg_ctl -D " + directory + " start"
                    + (configFile == null ? "" : " -o '-c config_file=" + configFile + "'"));
            return;
        }
        try {
            context.phase("starting the server on port " + port + " and replaying WAL");
            String state = watcher.startAndAwait(directory, port, configFile, plan.action(), cluster.name(),
                    context.cancellation());
            result.put("state", state);
            watcher.reached(state, cluster.name(), directory, port, result);
            watcher.copyLog(directory, context);
            if (inPlace) {
                // the cluster itself again: it archives with its own token from now on
                writer.writeHeader(directory, WalCommands.header(clusters.archiveToken(cluster.name())));
                tokens.revokeJob(context.jobId(), "the in-place recovery ended; the cluster uses its archive token");
            } else if (state.equals("promoted")) {
                tokens.revokeJob(context.jobId(), "the copy was promoted and fetches no more WAL");
            }
            context.result(json.writeValueAsString(result));
            context.log("pgvault: recovery reached " + result.get("reachedLsn") + " (" + result.get("reachedTime")
                    + "), server " + state + " on port " + port);
        } catch (Exception e) {
            watcher.copyLog(directory, context);
            watcher.stopQuietly(directory);
            tokens.revokeJob(context.jobId(), "the recovery failed");
            String missing = missingPromised(plan, cluster.name());
            context.result(json.writeValueAsString(result));
            String why = "recovery did not complete: " + e.getMessage()
                    + (missing == null ? "" : ". The archive no longer holds " + missing + ", which this recovery was "
                            + "promised when it was planned; it stopped there instead of promoting without it");
            if (original != null) {
                putBack(original, directory, port, configFile, true, context);
                throw new IllegalStateException(why + ". The original data directory is back in " + directory, e);
            }
            throw new IllegalStateException(why + ". The data directory " + directory + " is left as it is for "
                    + "inspection", e);
        }
    }

    /** The replaced directory of an in-place recovery, and whether its server was running. */
    private record Original(Path aside, boolean wasRunning) {
    }

    private Original moveOriginalAside(Path directory, JobContext context) throws Exception {
        boolean running = stopIfRunning(directory, context);
        Path aside = directories.moveAside(directory, ".pgvault-replaced-");
        context.log("pgvault: moved the old data directory aside to " + aside + " (it is kept, never deleted)");
        return new Original(aside, running);
    }

    private boolean stopIfRunning(Path directory, JobContext context) throws Exception {
        boolean running = postgres.mayBeRunning(directory) && postgres.isRunning(directory);
        if (running) {
            context.phase("stopping the server in " + directory);
            context.log("pgvault: stopping the server running in " + directory + " (pg_ctl stop -m fast)");
            postgres.stop(directory, "fast", context.cancellation());
        }
        return running;
    }

    /**
     * After a failure: the replaced directory back in place (the failed one moved aside next to it, for
     * inspection), its server running again if it ran before.
     */
    private void putBack(Original original, Path directory, int port, Path configFile, boolean failedCopyExists,
            JobContext context) {
        if (original == null) {
            return;
        }
        try {
            if (failedCopyExists && Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
                Path failed = directories.moveAside(directory, ".pgvault-failed-");
                context.log("pgvault: moved the failed recovery's directory aside to " + failed);
            }
            directories.rename(original.aside(), directory);
            context.log("pgvault: moved " + original.aside() + " back to " + directory);
            if (original.wasRunning()) {
                LocalPostgres.Started started = postgres.start(directory, directory.resolve(ServerWatcher.LOG_NAME),
                        port, configFile, 60, Cancellation.none());
                context.log("pgvault: started the original server in " + directory + " again (" + started + ")");
            }
        } catch (Exception e) {
            context.log("pgvault: could not put " + original.aside() + " back to " + directory
                    + (original.wasRunning() ? " and start its server" : "") + ": " + e.getMessage());
        }
    }

    /**
     * The configuration an in-place recovery starts with: the data directory's own, unless the cluster keeps
     * it elsewhere (Debian's /etc/postgresql/...), which stays as it is and is named with config_file.
     */
    private Path clusterConfigFile(BackupView backup, ClusterView cluster, Path directory) {
        String configFile = backup.serverConfig() != null && backup.serverConfig().configOutsideDataDirectory()
                ? backup.serverConfig().configFile() : clusters.configFile(cluster.name());
        if (configFile == null || Path.of(configFile).startsWith(directory)) {
            return null;
        }
        return Path.of(configFile);
    }

    /** The first promised segment the archive no longer holds, or null. */
    private String missingPromised(RecoveryPlan plan, String cluster) {
        try {
            ArchivedWal archived = wal.archived(cluster);
            for (String range : plan.promised()) {
                WalFileName first = WalFileName.parse(range.split("-")[0]);
                long last = archived.position(range.split("-")[1]);
                for (long p = archived.position(first.name()); p <= last; p++) {
                    if (!archived.has(first.timeline(), p)) {
                        return WalFileName.segmentName(first.timeline(), p, archived.segmentSize());
                    }
                }
            }
            return null;
        } catch (RuntimeException e) {
            return null;
        }
    }
}
