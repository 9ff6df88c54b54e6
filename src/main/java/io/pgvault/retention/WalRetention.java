package io.pgvault.retention;

import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupView;
import io.pgvault.cluster.ClusterService;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.recovery.RecoveryService;
import io.pgvault.wal.WalArchiveService;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Which archived WAL retention may remove: only what lies before the oldest BASE backup that is still needed,
 * by a retention rule or by work in progress. A backup that retention must leave alone because a queued or
 * running recovery, restore or drill uses it, or that a recovered copy may still fetch WAL after, anchors the
 * WAL too: its chain is never cut. The removal runs under the cluster's row lock, which a recovery being
 * queued also takes, so a recovery is never promised WAL that is being removed.
 */
@Component
class WalRetention {

    private final BackupCatalog backups;
    private final ClusterService clusters;
    private final JobService jobs;
    private final RecoveryService recoveries;
    private final WalArchiveService wal;

    WalRetention(BackupCatalog backups, ClusterService clusters, JobService jobs, RecoveryService recoveries,
            WalArchiveService wal) {
        this.backups = backups;
        this.clusters = clusters;
        this.jobs = jobs;
        this.recoveries = recoveries;
        this.wal = wal;
    }

    /** The oldest BASE backup whose WAL must stay: among {@code kept} and those in use; null when there is none. */
    BackupView anchor(String cluster, Set<UUID> kept) {
        Set<UUID> needed = new LinkedHashSet<>(kept);
        needed.addAll(held(cluster));
        BackupView anchor = null;
        for (UUID id : needed) {
            BackupView b = backups.lookup(id).orElse(null);
            if (b == null || b.kind() != BackupKind.BASE || b.firstWal() == null) {
                continue;
            }
            // log and segment number, fixed-width hex: compared as text they order as positions do
            if (anchor == null || b.firstWal().substring(8).compareTo(anchor.firstWal().substring(8)) < 0) {
                anchor = b;
            }
        }
        return anchor;
    }

    /**
     * Backups whose archived WAL a queued or running recovery (BASE restores are recoveries too) or extraction,
     * or a live recovered copy needs, whatever retention decided about them. Drills and verifications need none: a
     * drill recovers only to consistency, from the WAL inside the backup.
     */
    List<UUID> held(String cluster) {
        List<UUID> held = new ArrayList<>(jobs.activeBackupIds(cluster, JobType.RECOVERY));
        held.addAll(jobs.activeBackupIds(cluster, JobType.EXTRACTION));
        held.addAll(recoveries.heldBackups(cluster));
        return held;
    }

    /**
     * Takes the removable WAL out of the catalog, deciding under the cluster's lock from what the catalog
     * holds now (after the expiries): every BASE backup still there is kept, so its chain stays.
     */
    @Transactional
    Removal removeRows(String cluster) {
        clusters.lockArchive(cluster);
        Set<UUID> remaining = new LinkedHashSet<>();
        backups.baseBackups(cluster).forEach(b -> remaining.add(b.id()));
        BackupView anchor = anchor(cluster, remaining);
        if (anchor == null) {
            return null;
        }
        long timeline = anchor.timeline();
        for (UUID id : remaining) {
            timeline = Math.min(timeline, backups.get(id).timeline());
        }
        return new Removal(anchor, wal.removeRowsBefore(cluster, timeline, anchor.firstWal()));
    }

    /** What {@link #removeRows} took out, and the backup whose first segment bounded it. */
    record Removal(BackupView anchor, List<WalArchiveService.Removed> files) {
    }
}
