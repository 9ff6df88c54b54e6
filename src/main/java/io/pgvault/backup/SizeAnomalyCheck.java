package io.pgvault.backup;

import io.pgvault.PgvaultProperties;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * A successful backup whose size differs from the median of its spec's last 7 successful backups by more
 * than {@code pgvault.clusters.size-anomaly-ratio} is flagged on the backup and announced (a
 * {@link SizeAnomaly} event for notifications). At least 3 earlier backups are needed for a median worth
 * comparing with. A block-store backup is compared by what it restores ({@code dataSizeBytes}): what it adds to
 * the repository depends on what is stored already, and an INCR is small by design.
 */
@Component
class SizeAnomalyCheck {

    static final int WINDOW = 7;
    static final int MINIMUM = 3;
    private static final Logger log = LoggerFactory.getLogger(SizeAnomalyCheck.class);

    private final BackupCatalog backups;
    private final BackupLedger ledger;
    private final ApplicationEventPublisher events;
    private final double ratio;

    SizeAnomalyCheck(BackupCatalog backups, BackupLedger ledger, ApplicationEventPublisher events, PgvaultProperties properties) {
        this.backups = backups;
        this.ledger = ledger;
        this.events = events;
        this.ratio = properties.clusters().sizeAnomalyRatio();
    }

    @EventListener
    void on(BackupSucceeded event) {
        BackupView backup = backups.get(event.backupId());
        List<BackupView> earlier = backups.earlierOfSameSpec(backup.id(), WINDOW);
        if (earlier.size() < MINIMUM || size(backup) == null || earlier.stream().anyMatch(b -> size(b) == null)) {
            return;
        }
        double median = median(earlier.stream().mapToLong(SizeAnomalyCheck::size).sorted().toArray());
        double change = (size(backup) - median) / median;
        if (median > 0 && Math.abs(change) > ratio) {
            String anomaly = String.format("%d bytes is %+.0f%% from the median %.0f bytes of the last %d successful "
                    + "backups of this spec (threshold ±%.0f%%)", size(backup), change * 100, median,
                    earlier.size(), ratio * 100);
            ledger.flagSizeAnomaly(backup.id(), anomaly);
            log.warn("Backup {} of cluster '{}': size anomaly: {}", backup.id(), backup.cluster(), anomaly);
            events.publishEvent(new SizeAnomaly(backup.id(), backup.cluster(), anomaly));
        }
    }

    private static Long size(BackupView b) {
        return b.format() == DumpFormat.BLOCKS ? b.dataSizeBytes() : b.sizeBytes();
    }

    static double median(long[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
}
