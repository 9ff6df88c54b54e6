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
        Path directory = roots.drills().resolve("drill-" + context.jobId());
        DataDirectories.Claim claim = directories.claim(roots.drills(), directory);
        Copy copy = new Copy(directory, Ports.free(), claim, context.jobId());
        try {
            RecoveryPlan plan = new RecoveryPlan(new RecoveryTarget(null, null, null, null, null, true), true,
                    RecoveryAction.PROMOTE, "latest", backup.id(), directory.toString(), null, true, false, null, null,
                    List.of());
            // a drill needs no archived WAL (it recovers to consistency from the backup's own): it holds none
            String token = tokens.issue(backup.cluster(), context.jobId(), null, directory, List.of());
            writer.write(plan, backup, directory, copy.port(), null, WalCommands.header(token), context);
            directories.release(claim);
            context.phase("starting a throwaway server on port " + copy.port());
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

    /** Stops the copy's server (immediately), removes its directory and revokes its WAL credential. */
    public void stop(Copy copy, JobContext context) {
        watcher.stopQuietly(copy.directory());
        directories.undo(copy.claim(), context::log);
        tokens.revokeJob(copy.jobId(), "the drill's copy was removed");
    }
}
