package io.pgvault.backup;

import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ToolSession;
import io.pgvault.process.ProcessExecutor;
import java.sql.SQLException;

import io.pgvault.job.DaemonThreads;
import io.pgvault.job.Job;
import io.pgvault.job.JobCancelledException;
import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.NoPayload;
import io.pgvault.job.JobType;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.Workspace;
import io.pgvault.storage.ObjectStore;
import io.pgvault.storage.StagingArea;
import io.pgvault.storage.StoredFile;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;

/**
 * Runs a backup job: stage, let the kind's runner write, seal (fsync, hash), move into place, and only
 * then mark the backup SUCCEEDED. Any failure removes what was written. A DUMP's row counts for restore drills
 * come after that, in the dump's snapshot, before the job ends.
 */
@Component
class BackupJobHandler implements JobHandler<NoPayload> {

    private static final Logger log = LoggerFactory.getLogger(BackupJobHandler.class);

    private final BackupLedger ledger;
    private final List<BackupRunner> runners;
    private final BackupStorage storage;
    private final Workspace workspace;
    private final ApplicationEventPublisher events;
    private final BackupContents contents;
    private final ClusterAccess clusters;
    private final ProcessExecutor executor;
    private final TableNeeds needs;
    private final PendingRowCounts pendingRows;

    BackupJobHandler(BackupLedger ledger, List<BackupRunner> runners, BackupStorage storage, Workspace workspace,
            ApplicationEventPublisher events, BackupContents contents, ClusterAccess clusters,
            ProcessExecutor executor, TableNeeds needs, PendingRowCounts pendingRows) {
        this.pendingRows = pendingRows;
        this.contents = contents;
        this.needs = needs;
        this.clusters = clusters;
        this.executor = executor;
        this.ledger = ledger;
        this.runners = runners;
        this.storage = storage;
        this.workspace = workspace;
        this.events = events;
    }

    @Override
    public JobType type() {
        return JobType.BACKUP;
    }

    @Override
    public Class<NoPayload> payloadType() {
        return NoPayload.class;
    }

    @Override
    public boolean limitedPerCluster() {
        return true;
    }

    @Override
    public void run(JobContext context, NoPayload payload) throws Exception {
        BackupView backup = ledger.view(context.backupId());
        BackupRunner runner = runners.stream().filter(r -> r.kinds().contains(backup.kind())).findFirst()
                .orElseThrow(() -> new IllegalStateException("no runner for " + backup.kind() + " backups"));
        ledger.start(backup.id(), runner.versions(backup));
        long began = System.nanoTime();
        StagingArea area = storage.stage(backup.id(), backup.repository(), backup.cluster(), backup.kind().name());
        BackupRunner.LaterRows later = null;
        boolean succeeded = false;
        ArchiveToc toc;
        try {
            checkStagingSpace(backup);
            CompletableFuture<BackupContents.Listing> listing = contentsAtStart(backup, context);
            BackupRunner.Result result = runner.run(backup, area, context);
            later = result.laterRows();
            context.cancellation().throwIfCancelled();
            BackupContents.Listing listed = listing.join();
            toc = archiveToc(backup, area, listed, result, context);
            listed = keepArchived(backup, listed, toc);
            long ran = System.nanoTime();
            context.phase("sealing");
            List<StoredFile> files = area.seal();
            long size = StoredFile.totalSize(files);
            context.bytes(size, size);
            context.phase("committing");
            BackupStorage.Committed committed = storage.commit(area, backup.repository(), backup.cluster(),
                    backup.kind().name());
            String location = committed.location();
            if (later != null) {
                // a reader of its counts waits for them from the moment it is SUCCEEDED
                pendingRows.begin(backup.id());
            }
            ledger.succeed(backup.id(), location, files.stream().map(f -> {
                ObjectStore.StoredObject stored = committed.encrypted().get(f.path());
                return stored == null ? new BackupFile(f.path(), f.sizeBytes(), f.sha256())
                        : new BackupFile(f.path(), f.sizeBytes(), f.sha256(), stored.size(), stored.sha256(),
                                committed.keyId());
            }).toList(),
                    StoredFile.combinedSha256(files), result);
            recordContents(backup, listed, context);
            context.log(String.format("pgvault: stored %d file(s), %d bytes, at %s (run %.3f s, seal and commit %.3f s)",
                    files.size(), size, location, (ran - began) / 1e9, (System.nanoTime() - ran) / 1e9));
            succeeded = true;
        } catch (Exception e) {
            try {
                storage.discard(backup.id(), backup.repository(), backup.cluster(), backup.kind().name());
            } catch (IOException | RuntimeException notNow) {
                context.log("pgvault: could not remove what was stored of this backup yet (" + notNow.getMessage()
                        + "); it is tried again in the background");
            }
            ledger.end(backup.id(), e instanceof JobCancelledException, reason(e, context));
            throw e;
        } finally {
            if (!succeeded && later != null) {
                // whatever ended the job (an Error too), the dump's snapshot ends with it
                pendingRows.end(backup.id());
                later.close();
            }
        }
        if (later != null) {
            countAfter(backup, later, toc, context);
        }
        events.publishEvent(new BackupSucceeded(backup.id(), backup.cluster(), backup.kind(), backup.scheduleId()));
    }

    /**
     * A DUMP's row counts, taken in its snapshot now that it is stored and SUCCEEDED: the job ends (and its session
     * on the database closes) only after them, and so do the verifications that {@link BackupSucceeded} starts.
     * Nothing here fails the job or touches the stored backup.
     */
    private void countAfter(BackupView backup, BackupRunner.LaterRows later, ArchiveToc toc, JobContext context) {
        try (later) {
            context.phase("counting rows for restore drills (the backup is stored)");
            long began = System.nanoTime();
            List<TableRows> rows = keepHeldRows(backup, later.count(context.cancellation(), context::log), toc, context);
            ledger.recordTableRows(backup.id(), rows);
            context.log(String.format("pgvault: counted the rows of %d table(s) in the dump's snapshot, after the "
                    + "backup was stored (%.3f s)", rows.size(), (System.nanoTime() - began) / 1e9));
        } catch (RuntimeException e) {
            context.log("pgvault: could not record the row counts for restore drills: " + e.getMessage());
        } finally {
            pendingRows.end(backup.id());
        }
    }

    /**
     * BASE: every database's schemas and tables; DUMP: its database's. Read on a thread of its own while the tool
     * runs (catalog queries, exact sizes), so that they add nothing to the backup's time. Best effort: a backup
     * never fails on it.
     */
    private CompletableFuture<BackupContents.Listing> contentsAtStart(BackupView backup, JobContext context) {
        if (backup.kind() != BackupKind.BASE && backup.kind() != BackupKind.DUMP) {
            return CompletableFuture.completedFuture(BackupContents.Listing.EMPTY);
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return contents.read(backup.cluster(), backup.kind() == BackupKind.DUMP ? backup.database() : null);
            } catch (SQLException | RuntimeException e) {
                context.log("pgvault: could not list the cluster's databases and tables for the backup's contents: "
                        + e.getMessage());
                return BackupContents.Listing.EMPTY;
            }
        }, r -> DaemonThreads.named("pgvault-contents-" + backup.id()).newThread(r).start());
    }

    /**
     * The table of contents of a DUMP in an archive format, read once for both its contents and its row counts;
     * null for other backups, when there is nothing to keep to it, or when it cannot be read (logged).
     */
    private ArchiveToc archiveToc(BackupView backup, StagingArea area, BackupContents.Listing listed,
            BackupRunner.Result result, JobContext context) {
        if (!archivedDump(backup)
                || listed.relations().isEmpty() && result.laterRows() == null) {
            return null;
        }
        try (ToolSession session = clusters.toolSession(backup.cluster())) {
            return ArchiveToc.list(executor, session.tool("pg_restore"), session.environment(null),
                    area.directory().resolve(backup.mainFile()), context.cancellation());
        } catch (IOException | RuntimeException e) {
            context.log("pgvault: could not read the dump's table of contents: " + e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobCancelledException("interrupted");
        }
    }

    /** A DUMP in an archive format (custom, directory, tar): one with a table of contents. */
    private static boolean archivedDump(BackupView backup) {
        return backup.kind() == BackupKind.DUMP && backup.format().isArchive();
    }

    /**
     * A DUMP in an archive format lists what its table of contents holds (a filtered dump holds less), and which
     * of its tables' needs it holds (a table-filtered one holds no types or schemas); without its table of
     * contents, nothing.
     */
    private static BackupContents.Listing keepArchived(BackupView backup, BackupContents.Listing listed,
            ArchiveToc toc) {
        if (!archivedDump(backup) || listed.relations().isEmpty()) {
            return listed;
        }
        if (toc == null) {
            return BackupContents.Listing.EMPTY;
        }
        List<BackupContents.Relation> kept = BackupContents.keep(listed.relations(),
                r -> toc.hasTable(r.schema(), r.table()));
        return new BackupContents.Listing(kept, TableNeeds.archived(listed.needs().stream()
                .filter(n -> toc.hasTable(n.schema(), n.table())).toList(), toc));
    }

    /**
     * A dump's row counts, kept to the tables whose rows its archive holds (pg_dump leaves some out, such as an
     * extension's own tables); a script has no table of contents and keeps them all, as does an archive whose
     * table of contents could not be read.
     */
    private static List<TableRows> keepHeldRows(BackupView backup, List<TableRows> rows, ArchiveToc toc,
            JobContext context) {
        if (backup.kind() != BackupKind.DUMP || rows.isEmpty()) {
            return rows;
        }
        if (toc != null) {
            List<TableRows> held = rows.stream().filter(r -> toc.has("TABLE DATA", r.schema(), r.table())).toList();
            if (held.size() < rows.size()) {
                context.log("pgvault: " + (rows.size() - held.size()) + " counted table(s) hold no rows in the "
                        + "archive (pg_dump leaves some out, such as an extension's own tables); not recorded");
            }
            return held;
        }
        return rows;
    }

    private void recordContents(BackupView backup, BackupContents.Listing listed, JobContext context) {
        if (listed.relations().isEmpty()) {
            return;
        }
        try {
            contents.record(backup.id(), listed.relations());
            needs.record(backup.id(), listed.needs());
            context.log("pgvault: recorded the backup's contents: " + listed.relations().stream()
                    .filter(r -> r.isTable()).count() + " table(s) in " + listed.relations().stream()
                    .filter(r -> r.isDatabase()).count() + " database(s)");
        } catch (RuntimeException e) {
            context.log("pgvault: could not record the backup's contents: " + e.getMessage());
        }
    }

    /**
     * A backup to a repository that is not the local workspace is written to local staging first, then uploaded:
     * when the newest backup of the same spec would not fit (with a tenth to spare), the job fails before the tool
     * runs, instead of filling the disk.
     */
    private void checkStagingSpace(BackupView backup) throws IOException {
        if (workspace.storesInPlace(backup.repository())) {
            return;
        }
        Long last = ledger.lastSizeOfSameSpec(backup.id());
        long free = workspace.usableSpace();
        if (last != null && free < last + last / 10) {
            throw new IllegalStateException("not enough local staging space: a backup to repository '"
                    + backup.repository() + "' is staged in " + workspace.describe() + " before it is uploaded, "
                    + "the last one like it took " + last + " bytes, and only " + free + " bytes are free there; "
                    + "free space or move pgvault.storage.local.root");
        }
    }

    @Override
    public void abandon(Job job, NoPayload payload, String reason) {
        ledger.end(job.getBackupId(), !Job.INTERRUPTED.equals(reason), reason);
        BackupView backup = ledger.view(job.getBackupId());
        if (backup.status() == BackupStatus.SUCCEEDED) {
            // the backup was committed, only the job's own end was never recorded: its files stay
            return;
        }
        try {
            storage.discard(backup.id(), backup.repository(), backup.cluster(), backup.kind().name());
        } catch (IOException e) {
            log.warn("Could not remove the staging files of backup {}: {}", job.getBackupId(), e.toString());
        }
    }

    private static String reason(Exception e, JobContext context) {
        String cancelled = context.cancellation().reason();
        return cancelled != null ? cancelled : io.pgvault.job.FailureCause.describe(e);
    }
}
