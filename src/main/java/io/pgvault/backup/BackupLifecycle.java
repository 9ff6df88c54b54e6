package io.pgvault.backup;

import io.pgvault.api.ConflictException;
import io.pgvault.job.JobService;
import java.time.Clock;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * What a user may decide about a finished backup's end: delete it now, or pin it so that neither retention nor a
 * delete removes it. Kept apart from starting ({@link BackupService}) and from reading ({@link BackupCatalog}):
 * the only service outside retention ({@link BackupRetention}) that removes a backup's files, with the checks
 * that keep a user from deleting what a running job or the recovery window still needs.
 */
@Service
public class BackupLifecycle {

    private final BackupRepository backups;
    private final BackupCatalog catalog;
    private final JobService jobs;
    private final Clock clock;
    private final BackupFileRemoval removal;

    BackupLifecycle(BackupRepository backups, BackupCatalog catalog, JobService jobs, Clock clock,
            BackupFileRemoval removal) {
        this.backups = backups;
        this.catalog = catalog;
        this.jobs = jobs;
        this.clock = clock;
        this.removal = removal;
    }

    /**
     * Removes the files and marks the entry DELETED. Refused for pinned or unfinished backups, and, unless
     * {@code force}, for a cluster's only BASE backup: every point-in-time recovery starts from it.
     */
    @Transactional
    public BackupView delete(UUID id, boolean force) {
        Backup backup = backups.lockById(id).orElseThrow(() -> BackupCatalog.notFound(id));
        if (backup.getStatus() == BackupStatus.QUEUED || backup.getStatus() == BackupStatus.RUNNING) {
            throw new ConflictException("backup " + id + " is still " + backup.getStatus()
                    + "; cancel its job " + backup.getJobId() + " first");
        }
        if (jobs.hasActive(id)) {
            throw new ConflictException("backup " + id + " is in use by a queued or running job (a restore, "
                    + "recovery or verification); try again when it has ended");
        }
        if (!force && backup.getKind() == BackupKind.BASE && backup.getStatus() == BackupStatus.SUCCEEDED
                && catalog.baseBackups(backup.getCluster()).size() == 1) {
            throw new ConflictException("backup " + id + " is the only BASE backup of cluster '" + backup.getCluster()
                    + "': its recovery window starts there and no point-in-time recovery is possible without it. "
                    + "Take another BASE backup first, or delete with ?force=true");
        }
        String location = backup.getLocation();
        backup.markDeleted(clock.instant());
        removal.afterCommit(id, backup.getRepository(), location);
        return catalog.view(backup);
    }

    @Transactional
    public BackupView pin(UUID id, boolean pinned) {
        Backup backup = backups.lockById(id).orElseThrow(() -> BackupCatalog.notFound(id));
        backup.pin(pinned);
        return catalog.view(backup);
    }

}
