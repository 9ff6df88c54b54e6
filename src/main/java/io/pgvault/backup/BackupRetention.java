package io.pgvault.backup;

import io.pgvault.job.JobService;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.data.jpa.domain.Specification;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The catalog as retention and schedules see it: which backups a schedule made, handing them to the cluster's
 * policy, and expiring them. Kept apart from {@link BackupCatalog} and {@link BackupLifecycle} so that what may remove a backup's files
 * on a policy's word is in one place.
 */
@Service
public class BackupRetention {

    private final BackupRepository backups;
    private final BackupCatalog catalog;
    private final JobService jobs;
    private final BackupFileRemoval removal;

    BackupRetention(BackupRepository backups, BackupCatalog catalog, JobService jobs, BackupFileRemoval removal) {
        this.backups = backups;
        this.catalog = catalog;
        this.jobs = jobs;
        this.removal = removal;
    }

    /** The SUCCEEDED backups a schedule made, newest first. */
    @Transactional(readOnly = true)
    public List<BackupView> succeededOfSchedule(UUID scheduleId) {
        Specification<Backup> spec = (root, query, cb) -> cb.and(cb.equal(root.get("scheduleId"), scheduleId),
                cb.equal(root.get("status"), BackupStatus.SUCCEEDED));
        return backups.findAll(spec, Sort.by(Sort.Direction.DESC, "finishedAt", "id")).stream().map(catalog::view)
                .toList();
    }

    /**
     * Hands a backup to the cluster's policy: the schedule policy recorded when it was taken is dropped.
     * False when it is no longer a SUCCEEDED backup.
     */
    @Transactional
    public boolean releaseRetention(UUID id) {
        Backup backup = backups.lockById(id).orElseThrow(() -> BackupCatalog.notFound(id));
        if (backup.getStatus() != BackupStatus.SUCCEEDED) {
            return false;
        }
        backup.retainUnder(null, null);
        return true;
    }

    /** The newest SUCCEEDED backup a schedule made. */
    @Transactional(readOnly = true)
    public Optional<UUID> newestOfSchedule(UUID scheduleId) {
        Specification<Backup> spec = (root, query, cb) -> cb.and(cb.equal(root.get("scheduleId"), scheduleId),
                cb.equal(root.get("status"), BackupStatus.SUCCEEDED));
        return backups.findAll(spec, PageRequest.of(0, 1, Sort.by(Sort.Direction.DESC, "finishedAt"))).stream()
                .map(Backup::getId).findFirst();
    }

    /**
     * Retention's removal: the files go, the entry stays as EXPIRED with the reason. The catalog stops
     * pointing at the files before they are deleted, so a crash between leaves an orphan, never a lie.
     */
    @Transactional
    public boolean expire(UUID id, String reason) {
        Backup backup = backups.lockById(id).orElseThrow(() -> BackupCatalog.notFound(id));
        if (backup.getStatus() != BackupStatus.SUCCEEDED || backup.isPinned() || jobs.hasActive(id)) {
            // changed since the plan was made: pinned, deleted, expired by another run, or in use by a job
            return false;
        }
        String location = backup.getLocation();
        backup.expire(reason);
        removal.afterCommit(id, backup.getRepository(), location);
        return true;
    }
}
