package io.pgvault.proof;

import io.pgvault.api.ConflictException;
import io.pgvault.backup.BackupService;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.VerificationStatus;
import io.pgvault.job.JobCancelledException;
import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.NoPayload;
import io.pgvault.job.JobType;
import io.pgvault.notification.NotificationEvent;
import io.pgvault.notification.WebhookService;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * ({@link IntegrityCheck}): corruption fails the proof too. The scratch server is always removed.
 */
@Component
class ProofHandler implements JobHandler<NoPayload> {

    private static final Pattern RECORD_AT = Pattern.compile(
            "(invalid record length at|incorrect resource manager data checksum in record at|invalid magic number"
                    + "|record with incorrect prev-link|invalid resource manager ID|unexpected pageaddr)[^\\n]*?"
                    + "([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");

    private final BackupService backups;
    private final RecoveryService recoveries;
    private final RecoveredCopies copies;
    private final WalArchiveService wal;
    private final ProofRecords records;
    private final ProofMetrics metrics;
    private final WebhookService webhooks;
    private final IntegrityCheck integrity;
    private final tools.jackson.databind.json.JsonMapper json;

    ProofHandler(BackupService backups, RecoveryService recoveries, RecoveredCopies copies, WalArchiveService wal,
            ProofRecords records, ProofMetrics metrics, WebhookService webhooks, IntegrityCheck integrity,
            tools.jackson.databind.json.JsonMapper json) {
        this.integrity = integrity;
        this.json = json;
        this.backups = backups;
        this.recoveries = recoveries;
        this.copies = copies;
        this.wal = wal;
        this.records = records;
        this.metrics = metrics;
        this.webhooks = webhooks;
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
        context.log("pgvault: proving the WAL archive of cluster '" + cluster + "' by replay from BASE backup "
                + base.id() + " (ended at " + base.stopLsn() + ", verification " + base.verificationStatus() + ")");
        RecoveryService.PointPlan point;
        try {
            point = recoveries.planPoint(cluster, new RecoveryTarget(null, null, null, null, true, null), null,
                    "latest", base.id());
        } catch (ConflictException e) {
            throw fail(cluster, base, null, null, null, "the archive cannot be replayed from backup " + base.id()
                    + ": " + e.getMessage(), segmentIn(e.getMessage()));
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
                    + e.getMessage(), firstSegmentIn(e.getMessage(), archiveEnd));
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
                    String named = damagedAt(log, size, timeline);
                    if (named == null) {
                        named = WalFileName.segmentName(WalFileName.parse(archiveEnd).timeline(), stopped + 1, size);
                    }
                    throw fail(cluster, base, lsn, time, archiveEnd, "replay stopped at " + lsn + ", before the "
                            + "archive's last segment " + archiveEnd + ": segment " + named + " could not be replayed"
                            + reason(log), named);
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

    /** The newest verified BASE backup, else the newest successful one. */
    private BackupView startingPoint(String cluster) {
        List<BackupView> bases = backups.baseBackups(cluster);
        if (bases.isEmpty()) {
            throw new IllegalStateException("cluster '" + cluster + "' has no successful BASE backup to replay the "
                    + "archive from; take one first");
        }
        return bases.stream().filter(b -> b.verificationStatus() == VerificationStatus.PASSED)
                .max(Comparator.comparing(BackupView::finishedAt)).orElse(bases.get(bases.size() - 1));
    }

    private IllegalStateException fail(String cluster, BackupView base, String lsn, Instant time, String archiveEnd,
            String why, String segment) {
        records.failed(cluster, base.id(), lsn, time, archiveEnd, why, segment);
        metrics.failed(cluster);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("backupId", base.id());
        details.put("segment", segment);
        details.put("provenLsn", lsn);
        webhooks.publish(NotificationEvent.PROOF_FAILED, cluster, "the WAL archive's proof by replay failed: " + why,
                details);
        return new IllegalStateException(why);
    }

    /** The segment of the first "invalid record ... at X/Y" the server logged, or null. */
    private static String damagedAt(String log, long segmentSize, long timeline) {
        Matcher m = RECORD_AT.matcher(log);
        if (!m.find()) {
            return null;
        }
        return WalFileName.segmentName(timeline, Lsn.parse(m.group(2)).segment(segmentSize), segmentSize);
    }

    /** The server's words for why replay ended, from its log, or nothing. */
    private static String reason(String log) {
        Matcher m = RECORD_AT.matcher(log);
        if (m.find()) {
            return " (PostgreSQL: \"" + m.group().strip() + "\")";
        }
        return log.lines().filter(l -> l.contains("restore_command") || l.contains("could not"))
                .reduce((a, b) -> b).map(l -> " (PostgreSQL: \"" + l.strip() + "\")")
                .orElse(" (the archive ended there for the server: the segment was not served)");
    }

    private static String segmentIn(String text) {
        Matcher m = SEGMENT.matcher(text == null ? "" : text);
        return m.find() ? m.group() : null;
    }

    /** The first segment a message names other than the archive's end, else any it names. */
    private static String firstSegmentIn(String text, String archiveEnd) {
        Matcher m = SEGMENT.matcher(text == null ? "" : text);
        String any = null;
        while (m.find()) {
            if (!m.group().equals(archiveEnd)) {
                return m.group();
            }
            any = m.group();
        }
        return any;
    }
}
