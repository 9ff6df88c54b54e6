package io.pgvault.proof;

import io.pgvault.api.ConflictException;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.VerificationStatus;
import io.pgvault.job.JobCancelledException;
import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.NoPayload;
import io.pgvault.job.JobType;
import io.pgvault.recovery.RecoveredCopies;
import io.pgvault.recovery.RecoveryService;
import io.pgvault.recovery.RecoveryTarget;
import io.pgvault.wal.ArchivedWal;
import io.pgvault.wal.Lsn;
import io.pgvault.wal.WalArchiveService;
import io.pgvault.wal.WalFileName;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * One proof of a cluster's WAL archive by replay. A scratch server is restored from the newest verified BASE
 * backup (the newest successful one when none is verified) below pgvault's drill directory and recovers to
 * "latest" with restore_command fetching from pgvault (a fetch-only credential for the segments planned), so
 * that PostgreSQL itself replays every archived segment. The proven point is what it replayed
 * ({@code pg_last_wal_replay_lsn()}, {@code pg_last_xact_replay_timestamp()}); when that falls short of the last
 * archived segment, replay stopped early (a damaged record, a segment gone from storage) and the proof fails,
 * naming the segment and the server's own words. A gap or a damaged segment the catalog already knows fails it
 * before anything is restored. Once replay ended, amcheck checks the copy's tables and indexes
 * ({@link IntegrityCheck}): corruption fails the proof too. The scratch server is always removed. In mode
 * CONTINUOUS the job makes, replaces or checks the cluster's standing standby instead ({@link StandbyProof}).
 */
@Component
class ProofHandler implements JobHandler<NoPayload> {

    private final BackupCatalog backups;
    private final RecoveryService recoveries;
    private final RecoveredCopies copies;
    private final WalArchiveService wal;
    private final ProofRecords records;
    private final ProofMetrics metrics;
    private final ProofFailures failures;
    private final StandbyProof standby;
    private final IntegrityCheck integrity;
    private final tools.jackson.databind.json.JsonMapper json;

    ProofHandler(BackupCatalog backups, RecoveryService recoveries, RecoveredCopies copies, WalArchiveService wal,
            ProofRecords records, ProofMetrics metrics, ProofFailures failures, StandbyProof standby,
            IntegrityCheck integrity, tools.jackson.databind.json.JsonMapper json) {
        this.failures = failures;
        this.standby = standby;
        this.integrity = integrity;
        this.json = json;
        this.backups = backups;
        this.recoveries = recoveries;
        this.copies = copies;
        this.wal = wal;
        this.records = records;
        this.metrics = metrics;
    }

    @Override
    public JobType type() {
        return JobType.PROOF;
    }

    @Override
    public Class<NoPayload> payloadType() {
        return NoPayload.class;
    }

    @Override
    public void run(JobContext context, NoPayload payload) throws Exception {
        String cluster = context.cluster();
        metrics.watch(cluster);
        BackupView base = startingPoint(cluster);
        if (records.find(cluster).map(r -> r.mode() == ProofMode.CONTINUOUS).orElse(false)) {
            standby.run(context, base);
            return;
        }
        context.log("pgvault: proving the WAL archive of cluster '" + cluster + "' by replay from BASE backup "
                + base.id() + " (ended at " + base.stopLsn() + ", verification " + base.verificationStatus() + ")");
        RecoveryService.PointPlan point;
        try {
            point = recoveries.planPoint(cluster, new RecoveryTarget(null, null, null, null, true, null), null,
                    "latest", base.id());
        } catch (ConflictException e) {
            throw fail(cluster, base, null, null, null, "the archive cannot be replayed from backup " + base.id()
                    + ": " + e.getMessage(), ReplayLog.segmentIn(e.getMessage()));
        }
        String archiveEnd = point.walTo();
        context.log("pgvault: replaying archived WAL " + (point.walFrom() == null ? "(none after the backup)"
                : point.walFrom() + " to " + archiveEnd));
        RecoveredCopies.Copy copy;
        try {
            copy = copies.start(point, "proof-", context);
        } catch (JobCancelledException | InterruptedException e) {
            throw e;
        } catch (Exception e) {
            context.cancellation().throwIfCancelled();
            throw fail(cluster, base, null, null, archiveEnd, "the scratch server did not finish replaying: "
                    + e.getMessage(), ReplayLog.firstSegmentIn(e.getMessage(), archiveEnd));
        }
        try {
            Map<String, Object> reached = new LinkedHashMap<>();
            copies.reached(copy, cluster, reached);
            String lsn = (String) reached.get("reachedLsn");
            Instant time = reached.get("reachedTime") == null ? null
                    : OffsetDateTime.parse((String) reached.get("reachedTime")).toInstant();
            if (lsn == null) {
                throw fail(cluster, base, null, null, archiveEnd, "the scratch server replayed, but the point it "
                        + "reached could not be read: " + reached.get("note"), null);
            }
            if (archiveEnd != null) {
                ArchivedWal archived = wal.archived(cluster);
                long size = archived.segmentSize();
                long stopped = Lsn.parse(lsn).segment(size);
                long end = archived.position(archiveEnd);
                if (stopped < end) {
                    String log = copies.serverLog(copy);
                    long timeline = ((Number) reached.getOrDefault("timeline", 1)).longValue();
                    String named = ReplayLog.damagedAt(log, size, timeline);
                    if (named == null) {
                        named = WalFileName.segmentName(WalFileName.parse(archiveEnd).timeline(), stopped + 1, size);
                    }
                    throw fail(cluster, base, lsn, time, archiveEnd, "replay stopped at " + lsn + ", before the "
                            + "archive's last segment " + archiveEnd + ": segment " + named + " could not be replayed"
                            + ReplayLog.reason(log), named);
                }
            }
            context.log("pgvault: replay reached " + lsn + " (" + time + "); checking the copy with amcheck");
            context.phase("checking tables and indexes with amcheck");
            IntegrityCheck.Result checked = integrity.check(cluster, copy.port());
            context.log("pgvault: " + checked.summary());
            if (!checked.findings().isEmpty()) {
                throw fail(cluster, base, lsn, time, archiveEnd, "replay reached " + lsn + ", but the recovered data "
                        + "is corrupt: " + checked.summary(), null);
            }
            records.proven(cluster, base.id(), lsn, time, archiveEnd);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("provenLsn", lsn);
            result.put("provenTime", time == null ? null : time.toString());
            result.put("backupId", base.id().toString());
            result.put("integrity", checked.summary());
            context.result(json.writeValueAsString(result));
            context.log("pgvault: proven: PostgreSQL replayed the archive to " + lsn + " (" + time + ")");
        } finally {
            context.phase("removing the scratch server");
            copies.stop(copy, context);
        }
    }

    @Override
    public void abandon(io.pgvault.job.Job job, NoPayload payload, String reason) {
        standby.abandon(job.getId());
    }

    /** The newest verified BASE backup, else the newest successful one. */
    static BackupView startingPoint(BackupCatalog backups, String cluster) {
        List<BackupView> bases = backups.baseBackups(cluster);
        if (bases.isEmpty()) {
            throw new IllegalStateException("cluster '" + cluster + "' has no successful BASE backup to replay the "
                    + "archive from; take one first");
        }
        return bases.stream().filter(b -> b.verificationStatus() == VerificationStatus.PASSED)
                .max(Comparator.comparing(BackupView::finishedAt)).orElse(bases.get(bases.size() - 1));
    }

    private BackupView startingPoint(String cluster) {
        return startingPoint(backups, cluster);
    }

    private IllegalStateException fail(String cluster, BackupView base, String lsn, Instant time, String archiveEnd,
            String why, String segment) {
        return failures.fail(cluster, base.id(), lsn, time, archiveEnd, why, segment);
    }
}
