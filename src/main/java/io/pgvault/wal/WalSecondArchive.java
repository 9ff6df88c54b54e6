package io.pgvault.wal;

import io.pgvault.job.DaemonThreads;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import jakarta.annotation.PreDestroy;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * A cluster's second WAL archive ({@code walCopyTo}): every archived file is copied there soon after the push
 * that stored it in the first repository has answered, so the push never waits for the second repository. A
 * sweep every 30 s catches up what failed (the second repository was down); {@link WalCopies#lag} says how far
 * behind it is, as a metric and a health reason.
 */
@Component
class WalSecondArchive {

    private static final Logger log = LoggerFactory.getLogger(WalSecondArchive.class);

    private final ClusterService clusters;
    private final WalCopies copies;
    private final ScheduledExecutorService worker =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("pgvault-wal-copy"));
    /** Clusters with a catch-up queued and not yet begun: a burst of pushes is copied in one pass. */
    private final Set<String> queued = ConcurrentHashMap.newKeySet();

    WalSecondArchive(ClusterService clusters, WalCopies copies) {
        this.clusters = clusters;
        this.copies = copies;
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        worker.scheduleWithFixedDelay(io.pgvault.job.DaemonThreads.repeating("The second archive's sweep", this::sweep),
                5, 30, TimeUnit.SECONDS);
    }

    @PreDestroy
    void stop() {
        worker.shutdownNow();
    }

    @TransactionalEventListener(fallbackExecution = true)
    void on(WalArchived event) {
        if (queued.add(event.cluster())) {
            worker.execute(() -> catchUp(event.cluster()));
        }
    }

    private void sweep() {
        try {
            clusters.list().stream().filter(c -> c.walCopyTo() != null).map(ClusterView::name).forEach(this::catchUp);
        } catch (RuntimeException e) {
            log.warn("WAL copy sweep: {}", e.toString());
        }
    }

    private void catchUp(String cluster) {
        queued.remove(cluster);
        try {
            String to = clusters.get(cluster).walCopyTo();
            if (to != null) {
                copies.catchUp(cluster, to);
            }
        } catch (Exception e) {
            log.warn("Could not copy the archived WAL of cluster '{}' to its second repository: {}", cluster,
                    e.toString());
        }
    }
}
