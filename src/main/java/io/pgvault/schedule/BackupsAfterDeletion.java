package io.pgvault.schedule;

import io.pgvault.backup.BackupRetention;
import io.pgvault.backup.BackupView;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.RetentionPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** What deleting a schedule does to the backups it took, in the deletion's transaction, and the words for it. */
@Component
class BackupsAfterDeletion {

    private final BackupRetention backups;
    private final ClusterService clusters;

    BackupsAfterDeletion(BackupRetention backups, ClusterService clusters) {
        this.backups = backups;
        this.clusters = clusters;
    }

    /** {@code taken}: the schedule's SUCCEEDED backups; {@code deleted}: whether the schedule went just now. */
    ScheduleDeletion settle(UUID id, String cluster, boolean deleted, BackupsOfDeletedSchedule action,
            List<BackupView> taken) {
        List<UUID> affected = new ArrayList<>();
        List<UUID> leftAlone = new ArrayList<>();
        String detail;
        switch (action) {
            case RELEASE -> {
                taken.stream().filter(b -> b.retention() != null).forEach(b ->
                        (backups.releaseRetention(b.id()) ? affected : leftAlone).add(b.id()));
                detail = affected.size() + " backup(s) now fall under the policy of cluster '" + cluster + "' ("
                        + RetentionPolicy.describe(clusters.get(cluster).retention()) + "); the next retention run "
                        + "decides about them (POST /api/v1/clusters/" + cluster + "/retention?dryRun=true shows how)";
            }
            case EXPIRE -> {
                taken.forEach(b -> (backups.expire(b.id(), "expired with its schedule " + id + " (backups=expire)")
                        ? affected : leftAlone).add(b.id()));
                detail = affected.size() + " backup(s) expired (their files go, their entries stay as EXPIRED)"
                        + (leftAlone.isEmpty() ? "" : "; " + leftAlone.size() + " stay: pinned or in use by a job");
            }
            default -> {
                taken.forEach(b -> affected.add(b.id()));
                long recorded = taken.stream().filter(b -> b.retention() != null).count();
                detail = recorded + " backup(s) keep the retention policy they were taken under"
                        + (recorded == taken.size() ? "" : ", " + (taken.size() - recorded)
                                + " stay under the cluster's policy as they were taken")
                        + "; DELETE this schedule again with backups=release to hand them to the cluster's policy, or "
                        + "backups=expire to expire them now";
            }
        }
        return new ScheduleDeletion(id, deleted, action.name().toLowerCase(java.util.Locale.ROOT), affected,
                leftAlone, detail);
    }
}
