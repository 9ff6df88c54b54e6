package io.pgvault.proof;

import io.pgvault.api.ConflictException;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.cluster.WalArchiveMode;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.job.TimerListener;
import io.pgvault.wal.ArchiveSummary;
import io.pgvault.wal.ProvenPoints;
import io.pgvault.wal.WalArchiveService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.springframework.stereotype.Service;

/**
 * Each cluster's proof by replay: its mode, its state, a run on demand, and the timer (kind {@code proof}, one per
 * cluster) that queues runs. DAILY: a run every 24 hours that restores, replays to the end and removes its server.
 * CONTINUOUS: a standing standby ({@link StandbyProof}, followed by {@link StandbyFollower}); every 5 minutes the
 * timer queues a run when the cluster has no standby, a newer BASE backup passed verification, or amcheck is due
 * ({@code pgvault.proof.check-interval}). A run is a job of type PROOF ({@link ProofHandler}); a cluster has at
 * most one queued or running at a time, placed on the standby's host when it has one.
 */
@Service
public class ProofService implements TimerListener, ProvenPoints {

    static final String TIMER = "proof";
    static final Duration DAILY = Duration.ofHours(24);
    /** CONTINUOUS: how often the timer looks whether the standby is missing, has a newer backup, or is due a check. */
    static final Duration CONTINUOUS = Duration.ofMinutes(5);
    /** When a run is still going at its next time: look again this much later. */
    static final Duration BUSY_RETRY = Duration.ofMinutes(1);

    private final ProofRecords records;
    private final ClusterService clusters;
    private final BackupCatalog backups;
    private final JobService jobs;
    private final WalArchiveService wal;
    private final ProofMetrics metrics;
    private final Clock clock;
    private final StandbyRecords standbys;
    private final io.pgvault.job.Instances instances;
    private final Duration checkInterval;

    ProofService(ProofRecords records, ClusterService clusters, BackupCatalog backups, JobService jobs,
            WalArchiveService wal, ProofMetrics metrics, Clock clock, StandbyRecords standbys,
            io.pgvault.job.Instances instances, io.pgvault.PgvaultProperties properties) {
        this.standbys = standbys;
        this.instances = instances;
        this.checkInterval = properties.proof().checkInterval();
        this.records = records;
        this.clusters = clusters;
        this.backups = backups;
        this.jobs = jobs;
        this.wal = wal;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** The cluster's proof: its mode and what the last run proved (NEVER and OFF when it has none). */
    public ProofView get(String cluster) {
        clusters.get(cluster);
        return records.find(cluster).map(this::view).orElse(new ProofView(cluster, ProofMode.OFF, RpoBasis.BACKUP,
                ProofState.NEVER,
                null, null, null, null, null, null, null, 0, null, null, null));
    }

    @Override
    public java.util.Optional<ArchiveSummary.Proven> of(String cluster) {
        return records.find(cluster).filter(r -> r.state() != ProofState.NEVER || r.rpoBasis() == RpoBasis.PROVEN).map(r -> new ArchiveSummary.Proven(
                r.state().name(), r.mode().name(), r.provenLsn(), r.provenTime(), r.failedSegment(), r.lastRunAt(),
                r.rpoBasis().name()));
    }

    /**
     * Sets how often the cluster's archive is proven and what its RPO is measured against (null: BACKUP); a first
     * run follows at once unless the mode is OFF.
     */
    public ProofView setMode(String cluster, ProofMode mode, RpoBasis basis) {
        requireArchive(clusters.get(cluster));
        records.mode(cluster, Objects.requireNonNull(mode), basis == null ? RpoBasis.BACKUP : basis);
        metrics.watch(cluster);
        if (mode == ProofMode.OFF) {
            jobs.cancelTimer(TIMER, cluster);
        } else {
            jobs.setTimer(TIMER, cluster, clock.instant());
        }
        return get(cluster);
    }

    /** Queues a run now: 409 when the cluster has no WAL archive, no BASE backup, or a run queued or running. */
    public JobView run(String cluster) {
        ClusterView view = clusters.get(cluster);
        requireArchive(view);
        if (backups.baseBackups(cluster).isEmpty()) {
            throw new ConflictException("cluster '" + cluster + "' has no successful BASE backup to replay the "
                    + "archive from; take one first");
        }
        JobView running = running(cluster);
        if (running != null) {
            throw new ConflictException("a proof of cluster '" + cluster + "' is " + running.status().name()
                    .toLowerCase(java.util.Locale.ROOT) + " already: job " + running.id());
        }
        // a standing standby is checked or replaced by an instance of its own host
        String host = standbys.current(cluster).map(StandbyRecords.Row::host).filter(instances::aliveOn)
                .orElse(null);
        JobView job = jobs.submit(JobType.PROOF, cluster, null, "{}", host);
        records.started(cluster, job.id());
        metrics.watch(cluster);
        return job;
    }

    @Override
    public String kind() {
        return TIMER;
    }

    @Override
    public Instant fire(String cluster, Instant due) {
        ProofRecords.Row row = records.find(cluster).orElse(null);
        if (row == null || row.mode() == ProofMode.OFF) {
            return null;
        }
        Instant now = clock.instant();
        if (running(cluster) != null) {
            return now.plus(BUSY_RETRY);
        }
        try {
            if (row.mode() != ProofMode.CONTINUOUS || standbyDue(cluster, now)) {
                run(cluster);
            }
        } catch (RuntimeException e) {
            // no BASE backup yet, or the cluster lost its archive: try again at the next time
            org.slf4j.LoggerFactory.getLogger(ProofService.class).info("Proof of cluster '{}' not started: {}",
                    cluster, e.getMessage());
        }
        return now.plus(row.mode() == ProofMode.DAILY ? DAILY : CONTINUOUS);
    }

    /** CONTINUOUS: no standby yet, a newer verified BASE backup than its own, or amcheck due. */
    private boolean standbyDue(String cluster, Instant now) {
        StandbyRecords.Row standby = standbys.current(cluster).orElse(null);
        if (standby == null || backups.baseBackups(cluster).isEmpty()) {
            return true;
        }
        return !ProofHandler.startingPoint(backups, cluster).id().equals(standby.backupId())
                || standby.checkedAt() == null || standby.checkedAt().plus(checkInterval).isBefore(now);
    }

    /**
     * CONTINUOUS: a backup that was taken or passed verification may be newer than the standby's own; the timer looks
     * at once rather than at its next time.
     */
    @org.springframework.context.event.EventListener
    void on(io.pgvault.job.JobFinished event) {
        if (event.cluster() == null || event.status() != io.pgvault.job.JobStatus.SUCCEEDED
                || (event.type() != JobType.VERIFICATION && event.type() != JobType.BACKUP)) {
            return;
        }
        records.find(event.cluster()).filter(r -> r.mode() == ProofMode.CONTINUOUS)
                .ifPresent(r -> jobs.setTimer(TIMER, event.cluster(), clock.instant()));
    }

    private JobView running(String cluster) {
        ProofRecords.Row row = records.find(cluster).orElse(null);
        if (row == null || row.lastJob() == null) {
            return null;
        }
        try {
            JobView job = jobs.get(row.lastJob());
            return job.status().isTerminal() ? null : job;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void requireArchive(ClusterView cluster) {
        if (cluster.walArchive() == null || cluster.walArchive() == WalArchiveMode.NONE) {
            throw new ConflictException("cluster '" + cluster.name() + "' keeps no WAL archive in pgvault "
                    + "(walArchive NONE): there is nothing to prove by replay");
        }
    }

    private ProofView view(ProofRecords.Row row) {
        Long lag = row.provenTime() == null ? null : wal.summary(row.cluster()).provenLagSeconds();
        return new ProofView(row.cluster(), row.mode(), row.rpoBasis(), row.state(), row.backupId(), row.provenLsn(),
                row.provenTime(), row.archiveEnd(), lag, row.failure(), row.failedSegment(), row.failures(),
                row.lastJob(), row.lastRunAt(), standbys.current(row.cluster()).map(s -> new ProofView.Standby(s.host(),
                        s.directory().toString(), s.port(), s.pid(), s.backupId(), s.jobId(), s.startedAt(),
                        s.checkedAt(), s.checkSummary())).orElse(null));
    }
}
