package io.pgvault.monitoring;

import io.pgvault.PgvaultProperties;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.VerificationStatus;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.cluster.WalArchiveMode;
import io.pgvault.job.JobService;
import io.pgvault.job.JobStatus;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.monitoring.ClusterStatus.Kind;
import io.pgvault.wal.ArchiveSummary;
import io.pgvault.wal.WalArchiveService;
import io.pgvault.wal.WalCopies;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Service;

/**
 * Everything that says a cluster's data is at risk: no successful backup within its RPO, a failed last
 * backup job, a newest backup that failed verification, and for clusters that push WAL: no segment
 * archived for longer than the lag threshold, archive_command failing on the server (pg_stat_archiver,
 * read at most every 30 s), and a gap that cuts the recovery window short.
 *
 * <p>A status is read from the catalog only: pg_stat_archiver is read by a background probe ({@link #archiver}),
 * so that the callers that read every cluster's status (health, metrics, alerts, the status page) never wait on a
 * cluster's network. A server that does not answer delays only its own archiver reading.
 */
@Service
public class ClusterStatusService {

    private static final Duration ARCHIVER_CACHE = Duration.ofSeconds(30);

    private final ClusterService clusters;
    private final BackupCatalog backups;
    private final JobService jobs;
    private final WalArchiveService wal;
    private final PgvaultProperties.Clusters settings;
    private final Clock clock;
    private final Map<String, Cached> archivers = new ConcurrentHashMap<>();

    private record Cached(Instant at, ClusterService.ArchiverStatus status) {
    }

    private final WalCopies walCopies;
    /** Clusters whose archiver probe is queued or running: one at a time each. */
    private final java.util.Set<String> probing = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.ExecutorService prober =
            java.util.concurrent.Executors.newSingleThreadExecutor(io.pgvault.job.DaemonThreads.named(
                    "pgvault-archiver-probe"));

    ClusterStatusService(ClusterService clusters, BackupCatalog backups, JobService jobs, WalArchiveService wal,
            PgvaultProperties properties, Clock clock, WalCopies walCopies) {
        this.walCopies = walCopies;
        this.clusters = clusters;
        this.backups = backups;
        this.jobs = jobs;
        this.wal = wal;
        this.settings = properties.clusters();
        this.clock = clock;
    }

    public List<String> clusterNames() {
        return clusters.list().stream().map(ClusterView::name).toList();
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        prober.shutdownNow();
    }

    public ClusterStatus status(String name) {
        return status(name, null);
    }

    /**
     * As {@link #status(String)}, with the cluster's WAL archive summary already read by the caller (the metrics
     * need it too: read once, not twice); null: read it here when the status needs it.
     */
    public ClusterStatus status(String name, ArchiveSummary known) {
        ClusterView cluster = clusters.get(name);
        Instant now = clock.instant();
        List<ClusterStatus.Problem> problems = new ArrayList<>();
        Map<String, Object> details = new LinkedHashMap<>();

        Duration rpo = cluster.rpo() != null ? Duration.parse(cluster.rpo()) : settings.rpo();
        ClusterService.LastBackup last = clusters.lastDataBackup(name);
        if (last != null) {
            details.put("lastBackupId", last.id());
            details.put("lastBackupAt", last.finishedAt());
            details.put("lastBackupAgeSeconds", Duration.between(last.finishedAt(), now).toSeconds());
        }
        if (rpo != null) {
            details.put("rpo", rpo.toString());
            if (last == null) {
                problems.add(problem(Kind.RPO_BREACHED, "no successful backup yet; the RPO is " + rpo));
            } else if (Duration.between(last.finishedAt(), now).compareTo(rpo) > 0) {
                problems.add(problem(Kind.RPO_BREACHED, "RPO breached: the newest successful backup (" + last.id()
                        + ") finished " + Duration.between(last.finishedAt(), now).toSeconds()
                        + " s ago, beyond the RPO of " + rpo));
            }
        }
        Optional<JobView> lastJob = jobs.lastFinished(name, JobType.BACKUP);
        lastJob.ifPresent(j -> details.put("lastBackupJob", j.status()));
        if (lastJob.isPresent() && lastJob.get().status() == JobStatus.FAILED) {
            problems.add(problem(Kind.BACKUP_FAILED, "the last backup job (" + lastJob.get().id() + ") failed: "
                    + lastJob.get().error()));
        }
        if (last != null) {
            BackupView newest = backups.get(last.id());
            if (newest.verificationStatus() == VerificationStatus.FAILED) {
                problems.add(problem(Kind.VERIFICATION_FAILED, "the newest backup (" + newest.id()
                        + ") failed verification: " + newest.verificationDetail()));
            }
        }
        if (cluster.walArchive() == WalArchiveMode.PUSH || cluster.walArchive() == WalArchiveMode.STREAM) {
            archive(name, known != null ? known : wal.summary(name), cluster.walArchive(), now, rpo, problems,
                    details);
        }
        if (cluster.walCopyTo() != null) {
            WalCopies.Lag lag = walCopies.lag(name, cluster.walCopyTo());
            details.put("walCopyLagFiles", lag.files());
            details.put("walCopyLagSeconds", lag.seconds());
            if (lag.seconds() > settings.walLag().toSeconds()) {
                problems.add(problem(Kind.WAL_COPY_LAG, "the WAL copy to repository '" + cluster.walCopyTo() + "' is "
                        + lag.files() + " file(s) behind, the oldest waiting " + lag.seconds() + " s (threshold "
                        + settings.walLag() + "); is the repository reachable? GET /api/v1/repositories"));
            }
        }
        return new ClusterStatus(name, List.copyOf(problems), details);
    }

    private void archive(String name, ArchiveSummary summary, WalArchiveMode mode, Instant now, Duration rpo,
            List<ClusterStatus.Problem> problems, Map<String, Object> details) {
        details.put("walLagSeconds", summary.secondsSinceLastArchived());
        if (summary.lastArchivedAt() == null) {
            problems.add(problem(Kind.WAL_ARCHIVE_LAG, mode == WalArchiveMode.STREAM
                    ? "no WAL archived yet: pgvault's pg_receivewal has not delivered a whole segment (see the log)"
                    : "no WAL archived yet: point archive_command at pgvault (GET /api/v1/clusters/" + name
                            + "/archive-config)"));
        } else if (summary.secondsSinceLastArchived() > settings.walLag().toSeconds()) {
            problems.add(problem(Kind.WAL_ARCHIVE_LAG, "no WAL segment archived for "
                    + summary.secondsSinceLastArchived() + " s (threshold " + settings.walLag() + ")"));
        }
        ClusterService.ArchiverStatus archiver = archiver(name, now);
        if (archiver != null) {
            details.put("archiverFailedCount", archiver.failedCount());
            if (archiver.failingNow()) {
                problems.add(problem(Kind.WAL_ARCHIVE_FAILING, "archive_command is failing on the server: "
                        + archiver.failedCount() + " failure(s), the last for " + archiver.lastFailedWal() + " at "
                        + archiver.lastFailedTime()));
            }
        }
        ArchiveSummary.Proven proven = summary.proven();
        if (proven != null) {
            details.put("provenLsn", proven.provenLsn());
            details.put("provenTime", proven.provenTime());
            if ("PROVEN".equals(proven.rpoBasis()) && rpo != null && (proven.provenTime() == null
                    || Duration.between(proven.provenTime(), now).compareTo(rpo) > 0)) {
                problems.add(problem(Kind.RPO_BREACHED, "RPO breached (measured against the archive proven by "
                        + "replay): " + (proven.provenTime() == null ? "nothing proven yet"
                                : "the newest proven point (" + proven.provenTime() + ") is "
                                        + Duration.between(proven.provenTime(), now).toSeconds() + " s old")
                        + ", beyond the RPO of " + rpo));
            }
            if ("FAILED".equals(proven.state())) {
                problems.add(problem(Kind.PROOF_FAILED, "the WAL archive's proof by replay failed at its last run ("
                        + proven.lastRunAt() + ")" + (proven.failedSegment() == null ? ""
                                : " at segment " + proven.failedSegment()) + "; GET /api/v1/clusters/" + name
                        + "/proof says where replay stopped and why"));
            }
        }
        for (ArchiveSummary.DamagedSegment d : summary.damagedSegments()) {
            problems.add(problem(Kind.WAL_DAMAGED, "WAL segment " + d.name() + " does not decode (" + d.finding()
                    + "): a recovery that needs it stops there; take a new BASE backup, so that the recovery window "
                    + "starts after it"));
        }
        ArchiveSummary.RecoveryWindow window = summary.recoveryWindow();
        if (window != null) {
            for (ArchiveSummary.Timeline t : summary.timelines()) {
                if (t.timeline() != window.timeline()) {
                    continue;
                }
                for (ArchiveSummary.Gap gap : t.gaps()) {
                    if (gap.firstMissing().compareTo(window.lastSegment()) > 0) {
                        problems.add(problem(Kind.WAL_ARCHIVE_GAP, "gap in the WAL archive: "
                                + gap.missingSegments() + " segment(s) from " + gap.firstMissing()
                                + " missing; the recovery window ends at " + window.lastSegment()));
                    }
                }
            }
        }
    }

    private static ClusterStatus.Problem problem(Kind kind, String detail) {
        return new ClusterStatus.Problem(kind, detail);
    }

    /**
     * The newest reading of the server's pg_stat_archiver, or null before the first one (or when the server could
     * not be reached). A reading older than 30 s, or none, queues a probe on a background thread and answers what
     * is known now: the caller never waits on the server.
     */
    private ClusterService.ArchiverStatus archiver(String name, Instant now) {
        Cached cached = archivers.get(name);
        if ((cached == null || cached.at().plus(ARCHIVER_CACHE).isBefore(now)) && probing.add(name)) {
            try {
                prober.execute(() -> {
                    try {
                        archivers.put(name, new Cached(clock.instant(), clusters.archiverStatus(name)));
                    } catch (RuntimeException e) {
                        archivers.remove(name); // removed meanwhile
                    } finally {
                        probing.remove(name);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                probing.remove(name); // shutting down
            }
        }
        return cached == null ? null : cached.status();
    }
}
