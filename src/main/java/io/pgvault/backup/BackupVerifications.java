package io.pgvault.backup;

import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import java.time.Clock;
import java.util.UUID;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * The verification policy of backups: which backups may be verified and drilled at which level, queueing the
 * job, and recording what it found. Kept apart from {@link BackupService}, which starts backups, and
 * {@link BackupCatalog}, which reads the catalog.
 */
@Service
public class BackupVerifications {

    private final BackupRepository backups;
    private final BackupCatalog catalog;
    private final ClusterAccess clusters;
    private final JobService jobs;
    private final JsonMapper json;
    private final Clock clock;
    private final ApplicationEventPublisher events;

    BackupVerifications(BackupRepository backups, BackupCatalog catalog, ClusterAccess clusters, JobService jobs,
            JsonMapper json, Clock clock, ApplicationEventPublisher events) {
        this.backups = backups;
        this.catalog = catalog;
        this.clusters = clusters;
        this.jobs = jobs;
        this.json = json;
        this.clock = clock;
        this.events = events;
    }

    /** Records a drill's measured restore time on the backup. */
    @Transactional
    public void recordDrill(UUID id, double seconds) {
        backups.lockById(id).orElseThrow(() -> BackupCatalog.notFound(id)).drilled(seconds);
    }

    /** Records the outcome of a verification on the backup. */
    @Transactional
    public void recordVerification(UUID id, VerificationStatus result, VerificationLevel level, String detail) {
        Backup backup = backups.lockById(id).orElseThrow(() -> BackupCatalog.notFound(id));
        backup.verified(result, level, detail, clock.instant());
        if (result == VerificationStatus.FAILED) {
            events.publishEvent(new VerificationFailed(id, backup.getCluster(), level, detail));
        }
    }

    /** Queues a verification job for a finished backup. */
    @Transactional
    public JobView verify(UUID id, VerificationLevel level) {
        return verify(id, level, null);
    }

    /**
     * Queues a verification job for a finished backup; a RESTORE drill restores on {@code drillCluster}
     * (default: the backup's own cluster, into a scratch database).
     */
    @Transactional
    public JobView verify(UUID id, VerificationLevel level, String drillCluster) {
        Backup backup = catalog.find(id);
        if (backup.getStatus() != BackupStatus.SUCCEEDED) {
            throw new ConflictException("only a SUCCEEDED backup can be verified; backup " + id + " is "
                    + backup.getStatus());
        }
        if (level == VerificationLevel.RESTORE) {
            checkDrillable(catalog.view(backup));
            if (drillCluster != null && backup.getKind() == BackupKind.BASE) {
                throw new InvalidRequestException("drillCluster", "a BASE drill runs a throwaway server on this "
                        + "host; drillCluster applies to DUMP drills");
            }
            if (drillCluster != null) {
                clusters.target(drillCluster);
            }
        } else if (drillCluster != null) {
            throw new InvalidRequestException("drillCluster", "drillCluster applies to RESTORE drills only");
        }
        // a BASE drill writes a throwaway server's directory: on the cluster's data host when it names one
        String placement = level == VerificationLevel.RESTORE && backup.getKind() == BackupKind.BASE
                ? clusters.dataHostOf(backup.getCluster()) : null;
        return jobs.submit(JobType.VERIFICATION, backup.getCluster(), id,
                json.writeValueAsString(new VerificationOrder(level, drillCluster)), placement);
    }

    /** Refuses a RESTORE drill this version cannot run. */
    public static void checkDrillable(BackupView backup) {
        if (backup.kind() == BackupKind.DUMP_ALL) {
            throw new InvalidRequestException("level", "RESTORE drills are available for DUMP and BASE backups; "
                    + "DUMP_ALL backups verify at CHECKSUM or LIST");
        }
        if (backup.spec().dataOnly()) {
            throw new InvalidRequestException("level", "a data-only dump cannot be restored into an empty "
                    + "database; verify it at CHECKSUM or LIST");
        }
    }
}
