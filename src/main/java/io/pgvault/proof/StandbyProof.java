package io.pgvault.proof;

import io.pgvault.api.ConflictException;
import io.pgvault.backup.BackupView;
import io.pgvault.job.Instances;
import io.pgvault.job.JobCancelledException;
import io.pgvault.job.JobContext;
import io.pgvault.recovery.RecoveryService;
import io.pgvault.recovery.RecoveryTarget;
import io.pgvault.recovery.StandbyCopies;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * A PROOF job of a cluster in mode CONTINUOUS. The proof is a standing standby, not a run: the job makes one from
 * the newest verified BASE backup when the cluster has none or a newer backup passed verification (the new
 * standby is made and consistent before the old one goes, so the proof never stands without a server), and
 * otherwise checks the standing one with amcheck. From then on {@link StandbyFollower} follows the standby, on
 * this host; the job's id is the standby's name and its WAL credential's.
 */
@Component
class StandbyProof {

    private final RecoveryService recoveries;
    private final StandbyCopies copies;
    private final StandbyRecords standbys;
    private final StandbyFollower follower;
    private final IntegrityCheck integrity;
    private final ProofFailures failures;
    private final ProofRecords records;
    private final Instances instances;
    private final tools.jackson.databind.json.JsonMapper json;

    StandbyProof(RecoveryService recoveries, StandbyCopies copies, StandbyRecords standbys, StandbyFollower follower,
            IntegrityCheck integrity, ProofFailures failures, ProofRecords records, Instances instances,
            tools.jackson.databind.json.JsonMapper json) {
        this.recoveries = recoveries;
        this.copies = copies;
        this.standbys = standbys;
        this.follower = follower;
        this.integrity = integrity;
        this.failures = failures;
        this.records = records;
        this.instances = instances;
        this.json = json;
    }

    void run(JobContext context, BackupView base) throws Exception {
        String cluster = context.cluster();
        Optional<StandbyRecords.Row> current = standbys.current(cluster);
        if (current.isPresent() && current.get().backupId().equals(base.id())
                && current.get().host().equals(instances.host())) {
            context.log("pgvault: the standing standby of cluster '" + cluster + "' in " + current.get().directory()
                    + " follows the archive from BASE backup " + base.id() + ", the newest verified one");
            check(context, current.get());
            return;
        }
        context.log("pgvault: " + (current.isEmpty() ? "making the standing standby" : "moving the standing standby "
                + "from BASE backup " + current.get().backupId() + " to") + " of cluster '" + cluster
                + "' from BASE backup " + base.id() + " (verification " + base.verificationStatus() + ")");
        RecoveryService.PointPlan point;
        try {
            point = recoveries.planPoint(cluster, new RecoveryTarget(null, null, null, null, true, null), null,
                    "latest", base.id());
        } catch (ConflictException e) {
            throw failures.fail(cluster, base.id(), null, null, null, "the archive cannot be replayed from backup "
                    + base.id() + ": " + e.getMessage(), ReplayLog.segmentIn(e.getMessage()));
        }
        StandbyCopies.Standby made;
        try {
            made = copies.restore(point, context);
        } catch (JobCancelledException | InterruptedException e) {
            throw e;
        } catch (Exception e) {
            context.cancellation().throwIfCancelled();
            throw failures.fail(cluster, base.id(), null, null, point.walTo(), "the standby could not be made: "
                    + e.getMessage(), ReplayLog.firstSegmentIn(e.getMessage(), point.walTo()));
        }
        standbys.insert(made, base.id(), instances.host(), instances.name(), copies.pid(made.directory()));
        context.log("pgvault: the standby runs in " + made.directory() + " on port " + made.port() + " (pid "
                + copies.pid(made.directory()) + "), in standby mode, never promoted");
        StandbyRecords.Row row = standbys.find(made.jobId()).orElseThrow();
        StandbyCopies.Replay replay = copies.replay(made);
        records.proven(cluster, base.id(), replay.lsn(), replay.time(), point.walTo());
        current.ifPresent(old -> {
            context.log("pgvault: removing the standby of BASE backup " + old.backupId() + " in " + old.directory());
            follower.retire(old, "the proof moved to BASE backup " + base.id());
        });
        check(context, row);
    }

    private void check(JobContext context, StandbyRecords.Row row) throws Exception {
        context.phase("checking the standby's tables and indexes with amcheck");
        IntegrityCheck.Result checked = integrity.check(row.cluster(), row.port(), true);
        standbys.checked(row.jobId(), checked.summary());
        context.log("pgvault: " + checked.summary());
        if (!checked.findings().isEmpty()) {
            throw failures.fail(row.cluster(), row.backupId(), null, null, null, "the standby's data is corrupt: "
                    + checked.summary(), null);
        }
        StandbyCopies.Replay replay = copies.replay(row.standby());
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("provenLsn", replay.lsn());
        result.put("provenTime", replay.time() == null ? null : replay.time().toString());
        result.put("backupId", row.backupId().toString());
        result.put("standby", row.directory().toString());
        result.put("integrity", checked.summary());
        context.result(json.writeValueAsString(result));
    }

    /** A job that died while it made a standby: what it left goes, unless the standby was recorded (it is followed). */
    void abandon(UUID jobId) {
        if (standbys.find(jobId).isEmpty()) {
            copies.removeLeftover(jobId, line -> org.slf4j.LoggerFactory.getLogger(StandbyProof.class).info("{}", line));
        }
    }
}
