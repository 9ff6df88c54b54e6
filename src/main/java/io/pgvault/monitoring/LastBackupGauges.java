package io.pgvault.monitoring;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupStatus;
import io.pgvault.backup.BackupView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;

/**
 * The size and duration of the newest successful backup of each cluster and kind, as gauges read from the catalog:
 * what the dashboard's "Backup size" and "Backup duration" panels draw over time. The summaries recorded when a
 * backup ends ({@code pgvault_backup_size_bytes}, {@code pgvault_backup_duration_seconds}) fall back to 0 within
 * minutes (their _max decays) and exist only on the instance that ran the backup, from its start on; these say
 * the same on every instance, after a restart too.
 */
class LastBackupGauges {

    private static final PageRequest NEWEST = PageRequest.of(0, 1, Sort.by(Sort.Direction.DESC, "finishedAt", "id"));

    private final BackupCatalog backups;
    private final MultiGauge size;
    private final MultiGauge duration;

    LastBackupGauges(MeterRegistry registry, BackupCatalog backups) {
        this.backups = backups;
        this.size = MultiGauge.builder("pgvault.backup.last.size").baseUnit("bytes")
                .description("size of the newest successful backup of a cluster and kind").register(registry);
        this.duration = MultiGauge.builder("pgvault.backup.last.duration").baseUnit("seconds")
                .description("how long the newest successful backup of a cluster and kind took").register(registry);
    }

    void refresh(List<String> clusters) {
        List<MultiGauge.Row<?>> sizes = new ArrayList<>();
        List<MultiGauge.Row<?>> durations = new ArrayList<>();
        for (String cluster : clusters) {
            for (BackupKind kind : BackupKind.values()) {
                List<BackupView> newest = backups.list(cluster, kind, BackupStatus.SUCCEEDED, null, NEWEST)
                        .getContent();
                if (newest.isEmpty()) {
                    continue;
                }
                BackupView b = newest.get(0);
                Tags tags = Tags.of("cluster", cluster, "kind", kind.name());
                if (b.sizeBytes() != null) {
                    sizes.add(MultiGauge.Row.of(tags, b.sizeBytes()));
                }
                if (b.startedAt() != null && b.finishedAt() != null) {
                    durations.add(MultiGauge.Row.of(tags,
                            Duration.between(b.startedAt(), b.finishedAt()).toMillis() / 1000.0));
                }
            }
        }
        size.register(sizes, true);
        duration.register(durations, true);
    }
}
