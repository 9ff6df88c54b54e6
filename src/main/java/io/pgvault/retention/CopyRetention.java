package io.pgvault.retention;

import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupCopies;
import io.pgvault.backup.BackupCopy;
import io.pgvault.backup.BackupView;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.RetentionPolicy;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.Repositories;
import java.io.IOException;
import java.time.Clock;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.springframework.stereotype.Component;

/**
 * Retention per repository: a repository with its own {@code retention} keeps, of the copies made to it, what
 * its rules keep, group by group (the same groups as the cluster's policy: kind and database), in the cluster's
 * time zone. A copy its rules do not keep is removed from that repository; the backup and its other copies stay.
 * A repository without rules keeps a copy as long as its backup.
 */
@Component
class CopyRetention {

    private final Repositories repositories;
    private final BackupCatalog backups;
    private final BackupCopies copies;
    private final BackupStorage storage;
    private final ClusterService clusters;
    private final Clock clock;

    CopyRetention(Repositories repositories, BackupCatalog backups, BackupCopies copies, BackupStorage storage,
            ClusterService clusters, Clock clock) {
        this.repositories = repositories;
        this.backups = backups;
        this.copies = copies;
        this.storage = storage;
        this.clusters = clusters;
        this.clock = clock;
    }

    /** Thins out the cluster's copies in every repository with its own rules; returns how many went. */
    int apply(String cluster, Consumer<String> log) {
        ZoneId zone = ZoneId.of(clusters.get(cluster).timeZone());
        List<BackupView> succeeded = backups.succeeded(cluster);
        int removed = 0;
        for (Repositories.Repository repository : repositories.all()) {
            Optional<RetentionPolicy> policy = repositories.copyRetention(repository.name());
            if (policy.isEmpty()) {
                continue;
            }
            Map<String, List<BackupView>> groups = new LinkedHashMap<>();
            for (BackupView b : succeeded) {
                if (b.copies().stream().anyMatch(c -> c.copied() && c.repository().equals(repository.name()))) {
                    groups.computeIfAbsent(b.kind() + " of " + (b.database() == null ? "the cluster" : b.database()),
                            k -> new java.util.ArrayList<>()).add(b);
                }
            }
            for (List<BackupView> group : groups.values()) {
                List<RetentionRules.Candidate> candidates = group.stream().map(b -> new RetentionRules.Candidate(
                        b.id(), b.finishedAt(), b.verificationStatus(), b.pinned(), false)).toList();
                for (RetentionRules.Verdict v : RetentionRules.decide(candidates, policy.get(),
                        "repository '" + repository.name() + "'", zone, clock.instant())) {
                    if (!v.keep()) {
                        BackupView b = group.stream().filter(x -> x.id().equals(v.id())).findFirst().orElseThrow();
                        if (remove(b, repository.name(), String.join("; ", v.reasons()), log)) {
                            removed++;
                        }
                    }
                }
            }
        }
        return removed;
    }

    private boolean remove(BackupView backup, String repository, String reason, Consumer<String> log) {
        String location = backup.copies().stream().filter(c -> c.repository().equals(repository))
                .map(BackupCopy::location).findFirst().orElse(backup.location());
        copies.deleted(backup.id(), repository, "removed by the retention of repository '" + repository + "': "
                + reason);
        try {
            storage.delete(repository, location);
            log.accept("pgvault: removed the copy of backup " + backup.id() + " from repository '" + repository
                    + "' (" + reason + ")");
            return true;
        } catch (IOException | RuntimeException e) {
            log.accept("pgvault: the copy of backup " + backup.id() + " in repository '" + repository
                    + "' is out of the catalog, but its files could not be removed: " + e.getMessage());
            return false;
        }
    }
}
