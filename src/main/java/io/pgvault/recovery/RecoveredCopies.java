package io.pgvault.recovery;

import io.pgvault.backup.BackupView;
import io.pgvault.job.JobContext;
import io.pgvault.wal.WalCommands;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * Throwaway servers recovered from a BASE backup to consistency, for restore drills: each in a directory of
 * its own below pgvault's drill directory (under a recovery root), written and removed with the PostgreSQL
 * OS user's rights, with a fetch-only WAL credential that is revoked when the copy goes.
 */
@Component
public class RecoveredCopies {

    private final RecoveryRoots roots;
    private final DataDirectories directories;
    private final DataDirectoryWriter writer;
    private final ServerWatcher watcher;
    private final CopyTokens tokens;

    RecoveredCopies(RecoveryRoots roots, DataDirectories directories, DataDirectoryWriter writer, ServerWatcher watcher,
            CopyTokens tokens) {
        this.roots = roots;
        this.directories = directories;
        this.writer = writer;
        this.watcher = watcher;
        this.tokens = tokens;
    }

    /** A started copy: where it is, on which port; {@link #stop} removes it. */
    public record Copy(Path directory, int port, DataDirectories.Claim claim, UUID jobId) {
    }

    /**
     * Claims a new directory, extracts and configures the copy there, starts it and waits until it is promoted.
     * On failure nothing is left behind.
     */
    public Copy start(BackupView backup, JobContext context) throws Exception {
        RecoveryService.PointPlan consistent = new RecoveryService.PointPlan(backup,
                new RecoveryTarget(null, null, null, null, null, true), true, "latest", null, null, List.of());
        return start(consistent, "drill-", context);
    }

    /**
     * A copy recovered to a planned point (an extraction's): its WAL credential may fetch the segments the plan
     * promises. The directory is named {@code prefix + jobId} below the drill directory.
     */
    public Copy start(RecoveryService.PointPlan point, String prefix, JobContext context) throws Exception {
        BackupView backup = point.backup();
        Path directory = directoryOf(prefix, context.jobId());
        DataDirectories.Claim claim = directories.claim(roots.drills(), directory);
        Copy copy = new Copy(directory, Ports.free(), claim, context.jobId());
        try {
            RecoveryPlan plan = new RecoveryPlan(point.target(), point.inclusive(), RecoveryAction.PROMOTE,
                    point.timeline(), backup.id(), directory.toString(), null, true, false, point.walFrom(),
                    point.walTo(), point.promised(), true);
            // a drill needs no archived WAL (it recovers to consistency from the backup's own): it holds none
            boolean needsWal = !point.target().isImmediate();
            String token = tokens.issue(backup.cluster(), context.jobId(), needsWal ? backup.id() : null, directory,
                    needsWal ? point.promised() : List.of(), tokens.scope(backup, plan));
            writer.write(plan, backup, directory, copy.port(), null, WalCommands.header(token), context);
            directories.release(claim);
            context.phase("starting a throwaway server on port " + copy.port()
                    + (needsWal ? " and replaying WAL to " + point.target() : ""));
            try {
                watcher.startAndAwait(directory, copy.port(), null, RecoveryAction.PROMOTE, backup.cluster(),
                        context.cancellation());
            } finally {
                watcher.copyLog(directory, context);
            }
            return copy;
        } catch (Exception e) {
            stop(copy, context);
            throw e;
        }
    }

    /** Where a job's copy lives. */
    public Path directoryOf(String prefix, java.util.UUID jobId) {
        return roots.drills().resolve(prefix + jobId);
    }

    /** The LSN and transaction time the copy's recovery reached, into {@code result}. */
    public void reached(Copy copy, String cluster, java.util.Map<String, Object> result) {
        watcher.reached("promoted", cluster, copy.directory(), copy.port(), result);
    }

    /** The copy's server log as it is now (its recovery's messages: where replay stopped and why). */
    public String serverLog(Copy copy) {
        return watcher.log(copy.directory());
    }

    /**
     * Removes what a job that ended unseen (its server died) left of its copy: the server stopped, the directory
     * and the WAL credential gone. Quiet when nothing is there.
     */
    public void removeLeftover(String prefix, java.util.UUID jobId, java.util.function.Consumer<String> log) {
        Path directory = directoryOf(prefix, jobId);
        watcher.stopQuietly(directory);
        try {
            directories.removeIfExists(roots.drills(), directory, log);
        } catch (Exception e) {
            log.accept("pgvault: could not remove " + directory + ": " + e.getMessage());
        }
        tokens.revokeJob(jobId, "the job's copy was removed");
    }

    /** Stops the copy's server (immediately), removes its directory and revokes its WAL credential. */
    public void stop(Copy copy, JobContext context) {
        watcher.stopQuietly(copy.directory());
        directories.undo(copy.claim(), context::log);
        tokens.revokeJob(copy.jobId(), "the drill's copy was removed");
    }
}
