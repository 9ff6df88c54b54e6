package io.pgvault.monitoring;

import io.pgvault.job.DaemonThreads;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupSucceeded;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.SizeAnomaly;
import io.pgvault.cluster.ClusterService;
import io.pgvault.job.JobFinished;
import io.pgvault.job.JobService;
import io.pgvault.wal.ArchiveSummary;
import io.pgvault.wal.WalArchiveService;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * pgvault's Micrometer meters (on /actuator/prometheus): backup duration, size and throughput per cluster
 * and kind (and the newest backup's, {@link LastBackupGauges}), finished jobs by type and outcome, size anomalies, the queue depth, requests waiting for jobs,
 * and per cluster (refreshed every 10 s and after each job): the newest successful backup's age, WAL archive
 * lag, the recovery window's start and end, whether the cluster is healthy, and the newest restore drill's
 * result and restore time.
 */
@Component
class PgvaultMetrics {

    private static final Logger log = LoggerFactory.getLogger(PgvaultMetrics.class);
    private static final Duration REFRESH = Duration.ofSeconds(10);

    private final MeterRegistry registry;
    private final BackupCatalog backups;
    private final ClusterStatusService statuses;
    private final WalArchiveService wal;
    private final MultiGauge lastSuccessAge;
    private final MultiGauge walLag;
    private final MultiGauge proofLag;
    private final MultiGauge windowStart;
    private final MultiGauge windowEnd;
    private final MultiGauge healthy;
    private final MultiGauge drillRto;
    private final MultiGauge drillPassed;
    private final MultiGauge walCopyLag;
    private final MultiGauge problems;
    private final MultiGauge repositoryUp;
    private final MultiGauge repositoryFree;
    private final io.pgvault.storage.Repositories repositories;
    private final MultiGauge walCopyLagFiles;
    private final ClusterService clusters;
    private final LastBackupGauges lastBackups;
    private final ScheduledExecutorService refresher =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("pgvault-metrics"));
    /**
     * Whether a refresh asked for by a finished job is waiting: a burst of finished jobs queues one refresh, not one
     * each (each reads every cluster's status; queued one per job, they fell minutes behind under load).
     */
    private final java.util.concurrent.atomic.AtomicBoolean refreshWaiting =
            new java.util.concurrent.atomic.AtomicBoolean();
    /** How long the last refresh took: the pause before a refresh a finished job asks for. */
    private volatile long lastRefreshNanos;

    PgvaultMetrics(MeterRegistry registry, BackupCatalog backups, JobService jobs, ClusterStatusService statuses,
            WalArchiveService wal, ClusterService clusters, io.pgvault.storage.Repositories repositories) {
        this.repositories = repositories;
        this.registry = registry;
        this.clusters = clusters;
        this.backups = backups;
        this.statuses = statuses;
        this.wal = wal;
        Gauge.builder("pgvault.jobs.queued", jobs, JobService::queued).description("jobs waiting for a worker")
                .register(registry);
        Gauge.builder("pgvault.jobs.waiting", jobs, JobService::waiting)
                .description("requests waiting for a job's end (waitSeconds)").register(registry);
        this.lastSuccessAge = MultiGauge.builder("pgvault.backup.last.success.age").baseUnit("seconds")
                .description("age of the newest successful backup").register(registry);
        this.walLag = MultiGauge.builder("pgvault.wal.archive.lag").baseUnit("seconds")
                .description("time since the last archived WAL file").register(registry);
        this.proofLag = MultiGauge.builder("pgvault.proof.lag").baseUnit("seconds")
                .description("the WAL archive's newest known time minus the time its proof by replay reached")
                .register(registry);
        this.windowStart = MultiGauge.builder("pgvault.recovery.window.start").baseUnit("seconds")
                .description("start of the recovery window, epoch seconds").register(registry);
        this.windowEnd = MultiGauge.builder("pgvault.recovery.window.end").baseUnit("seconds")
                .description("end of the recovery window, epoch seconds").register(registry);
        this.healthy = MultiGauge.builder("pgvault.cluster.healthy")
                .description("1 when nothing puts the cluster's data at risk, else 0").register(registry);
        this.drillRto = MultiGauge.builder("pgvault.drill.last.rto").baseUnit("seconds")
                .description("restore time of the newest restore drill that passed: the measured RTO").register(registry);
        this.problems = MultiGauge.builder("pgvault.cluster.problem")
                .description("1 while the cluster has a problem of this kind (RPO_BREACHED, BACKUP_FAILED, "
                        + "VERIFICATION_FAILED, WAL_ARCHIVE_LAG, WAL_ARCHIVE_FAILING, WAL_ARCHIVE_GAP, WAL_COPY_LAG), "
                        + "else 0").register(registry);
        this.repositoryUp = MultiGauge.builder("pgvault.repository.up")
                .description("1 while the repository is reachable and writable, else 0").register(registry);
        this.repositoryFree = MultiGauge.builder("pgvault.repository.free").baseUnit("bytes")
                .description("free space of a repository, where its backend knows it (local disk)").register(registry);
        this.walCopyLag = MultiGauge.builder("pgvault.wal.copy.lag").baseUnit("seconds")
                .description("how long the oldest archived WAL file not yet in the cluster's second repository "
                        + "(walCopyTo) has waited").register(registry);
        this.walCopyLagFiles = MultiGauge.builder("pgvault.wal.copy.lag.files")
                .description("archived WAL files not yet in the cluster's second repository").register(registry);
        this.drillPassed = MultiGauge.builder("pgvault.drill.last.passed")
                .description("1 when the newest restore drill passed, else 0").register(registry);
        this.lastBackups = new LastBackupGauges(registry, backups);
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        // counters exist from start-up at 0, so that rate() and alert rules see a series before the first event
        for (io.pgvault.job.JobType type : io.pgvault.job.JobType.values()) {
            for (io.pgvault.job.JobStatus status : io.pgvault.job.JobStatus.values()) {
                if (status.isTerminal()) {
                    jobsFinished(type, status);
                }
            }
        }
        long period = REFRESH.toMillis();
        refresher.scheduleWithFixedDelay(DaemonThreads.repeating("The metrics refresh", this::refresh),
                0, period, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stop() {
        refresher.shutdownNow();
    }

    @EventListener
    void on(BackupSucceeded event) {
        BackupView b = backups.get(event.backupId());
        Tags tags = Tags.of("cluster", b.cluster(), "kind", b.kind().name());
        if (b.startedAt() != null && b.finishedAt() != null) {
            Duration took = Duration.between(b.startedAt(), b.finishedAt());
            Timer.builder("pgvault.backup.duration").tags(tags).register(registry).record(took);
            if (b.sizeBytes() != null && !took.isZero()) {
                DistributionSummary.builder("pgvault.backup.throughput").baseUnit("bytes per second").tags(tags)
                        .register(registry).record(b.sizeBytes() / (took.toNanos() / 1e9));
            }
        }
        if (b.sizeBytes() != null) {
            DistributionSummary.builder("pgvault.backup.size").baseUnit("bytes").tags(tags).register(registry)
                    .record(b.sizeBytes());
        }
    }

    @EventListener
    void on(JobFinished event) {
        jobsFinished(event.type(), event.status()).increment();
        if (refreshWaiting.compareAndSet(false, true)) {
            // after a pause four times as long as the last refresh took: however many jobs finish, refreshing takes
            // at most a fifth of one thread (it reads every cluster's status; with many clusters that is not free)
            refresher.schedule(() -> {
                // cleared before reading: a job that finishes while this refresh runs queues the next one
                refreshWaiting.set(false);
                refresh();
            }, 4 * lastRefreshNanos, TimeUnit.NANOSECONDS);
        }
    }

    private Counter jobsFinished(io.pgvault.job.JobType type, io.pgvault.job.JobStatus status) {
        return Counter.builder("pgvault.jobs.finished").tags("type", type.name(), "outcome", status.name())
                .register(registry);
    }

    private Counter sizeAnomalies(String cluster) {
        return Counter.builder("pgvault.backup.size.anomalies").tags("cluster", cluster).register(registry);
    }

    @EventListener
    void on(SizeAnomaly event) {
        sizeAnomalies(event.cluster()).increment();
    }

    void refresh() {
        long started = System.nanoTime();
        try {
            read();
        } finally {
            lastRefreshNanos = System.nanoTime() - started;
            if (lastRefreshNanos > REFRESH.toNanos()) {
                log.warn("Refreshing the cluster metrics took {} ms, longer than their {} s period", lastRefreshNanos
                        / 1_000_000, REFRESH.toSeconds());
            }
        }
    }

    private void read() {
        try {
            List<MultiGauge.Row<?>> age = new ArrayList<>();
            List<MultiGauge.Row<?>> lag = new ArrayList<>();
            List<MultiGauge.Row<?>> proven = new ArrayList<>();
            List<MultiGauge.Row<?>> start = new ArrayList<>();
            List<MultiGauge.Row<?>> end = new ArrayList<>();
            List<MultiGauge.Row<?>> ok = new ArrayList<>();
            List<MultiGauge.Row<?>> rto = new ArrayList<>();
            List<MultiGauge.Row<?>> drilled = new ArrayList<>();
            List<MultiGauge.Row<?>> copyLag = new ArrayList<>();
            List<MultiGauge.Row<?>> copyLagFiles = new ArrayList<>();
            List<MultiGauge.Row<?>> problemRows = new ArrayList<>();
            List<MultiGauge.Row<?>> up = new ArrayList<>();
            List<MultiGauge.Row<?>> free = new ArrayList<>();
            repositories.healthOfAll().forEach((name, health) -> {
                up.add(MultiGauge.Row.of(Tags.of("repository", name), health.up() ? 1 : 0));
                if (health.freeBytes() != null) {
                    free.add(MultiGauge.Row.of(Tags.of("repository", name), health.freeBytes()));
                }
            });
            List<String> names = statuses.clusterNames();
            lastBackups.refresh(names);
            for (String cluster : names) {
                Tags tags = Tags.of("cluster", cluster);
                sizeAnomalies(cluster);
                ClusterStatus status;
                ArchiveSummary summary;
                try {
                    summary = wal.summary(cluster);
                    status = statuses.status(cluster, summary);
                } catch (RuntimeException e) {
                    // removed meanwhile, or its catalog rows unreadable: the others still get their figures
                    continue;
                }
                ok.add(MultiGauge.Row.of(tags, status.healthy() ? 1 : 0));
                for (ClusterStatus.Kind kind : ClusterStatus.Kind.values()) {
                    boolean active = status.problems().stream().anyMatch(p -> p.kind() == kind);
                    problemRows.add(MultiGauge.Row.of(tags.and("kind", kind.name()), active ? 1 : 0));
                }
                if (status.details().get("walCopyLagSeconds") instanceof Long seconds
                        && status.details().get("walCopyLagFiles") instanceof Long files) {
                    copyLag.add(MultiGauge.Row.of(tags, seconds));
                    copyLagFiles.add(MultiGauge.Row.of(tags, files));
                }
                // the RTO only from drills that passed; passed or not from the newest drill of either kind
                ClusterService.MeasuredRto measured = clusters.measuredRto(cluster);
                if (measured != null) {
                    rto.add(MultiGauge.Row.of(tags, measured.seconds()));
                }
                ClusterService.LastDrill last = clusters.lastDrill(cluster);
                if (last != null) {
                    drilled.add(MultiGauge.Row.of(tags, last.passed() ? 1 : 0));
                }
                if (status.details().get("lastBackupAt") instanceof Instant at) {
                    age.add(MultiGauge.Row.of(tags, Duration.between(at, Instant.now()).toSeconds()));
                }
                if (summary.secondsSinceLastArchived() != null) {
                    lag.add(MultiGauge.Row.of(tags, summary.secondsSinceLastArchived()));
                }
                if (summary.provenLagSeconds() != null) {
                    proven.add(MultiGauge.Row.of(tags, summary.provenLagSeconds()));
                }
                if (summary.recoveryWindow() != null) {
                    start.add(MultiGauge.Row.of(tags, summary.recoveryWindow().startTime().getEpochSecond()));
                    end.add(MultiGauge.Row.of(tags, summary.recoveryWindow().endTime().getEpochSecond()));
                }
            }
            lastSuccessAge.register(age, true);
            walLag.register(lag, true);
            proofLag.register(proven, true);
            windowStart.register(start, true);
            windowEnd.register(end, true);
            healthy.register(ok, true);
            drillRto.register(rto, true);
            drillPassed.register(drilled, true);
            walCopyLag.register(copyLag, true);
            problems.register(problemRows, true);
            repositoryUp.register(up, true);
            repositoryFree.register(free, true);
            walCopyLagFiles.register(copyLagFiles, true);
        } catch (RuntimeException e) {
            log.warn("Could not refresh the cluster metrics: {}", e.toString());
        }
    }
}
