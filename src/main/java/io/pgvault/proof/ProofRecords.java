package io.pgvault.proof;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** The {@code cluster_proof} rows: each cluster's proof mode and what its last run proved. */
@Component
class ProofRecords {

    private final JdbcTemplate catalog;
    private final Clock clock;

    ProofRecords(JdbcTemplate catalog, Clock clock) {
        this.catalog = catalog;
        this.clock = clock;
    }

    /** A row as stored; {@link ProofService} adds the lag. */
    record Row(String cluster, ProofMode mode, RpoBasis rpoBasis, ProofState state, UUID backupId, String provenLsn, Instant provenTime,
            String archiveEnd, String failure, String failedSegment, long failures, UUID lastJob, Instant lastRunAt) {
    }

    Optional<Row> find(String cluster) {
        return catalog.query("select * from cluster_proof where cluster = ?", ProofRecords::row, cluster).stream()
                .findFirst();
    }

    List<Row> all() {
        return catalog.query("select * from cluster_proof order by cluster", ProofRecords::row);
    }

    /** Sets the mode and the RPO's basis, making the row if the cluster had none. */
    void mode(String cluster, ProofMode mode, RpoBasis basis) {
        Timestamp now = Timestamp.from(clock.instant());
        if (catalog.update("update cluster_proof set mode = ?, rpo_basis = ?, updated_at = ? where cluster = ?",
                mode.name(), basis.name(), now, cluster) == 0) {
            catalog.update("insert into cluster_proof (cluster, mode, rpo_basis, state, failures, updated_at) "
                    + "values (?, ?, ?, ?, 0, ?)", cluster, mode.name(), basis.name(), ProofState.NEVER.name(), now);
        }
    }

    /** A run was queued: the job it is, so that the timer does not queue another while it runs. */
    void started(String cluster, UUID job) {
        if (find(cluster).isEmpty()) {
            mode(cluster, ProofMode.OFF, RpoBasis.BACKUP);
        }
        catalog.update("update cluster_proof set last_job = ?, updated_at = ? where cluster = ?", job,
                Timestamp.from(clock.instant()), cluster);
    }

    void proven(String cluster, UUID backup, String lsn, Instant time, String archiveEnd) {
        Timestamp now = Timestamp.from(clock.instant());
        catalog.update("""
                update cluster_proof set state = ?, backup_id = ?, proven_lsn = ?, proven_time = ?, archive_end = ?,
                    failure = null, failed_segment = null, last_run_at = ?, updated_at = ? where cluster = ?""",
                ProofState.PROVEN.name(), backup, lsn, time == null ? null : Timestamp.from(time), archiveEnd, now,
                now, cluster);
    }

    /** A failed run: the failure, and the proven point as far as replay got (kept from before when unknown). */
    void failed(String cluster, UUID backup, String lsn, Instant time, String archiveEnd, String failure,
            String segment) {
        Timestamp now = Timestamp.from(clock.instant());
        catalog.update("""
                update cluster_proof set state = ?, backup_id = coalesce(?, backup_id),
                    proven_lsn = coalesce(?, proven_lsn), proven_time = coalesce(?, proven_time),
                    archive_end = coalesce(?, archive_end), failure = ?, failed_segment = ?, failures = failures + 1,
                    last_run_at = ?, updated_at = ? where cluster = ?""",
                ProofState.FAILED.name(), backup, lsn, time == null ? null : Timestamp.from(time), archiveEnd,
                failure.substring(0, Math.min(failure.length(), 2000)), segment, now, now, cluster);
    }

    private static Row row(ResultSet rs, int n) throws SQLException {
        return new Row(rs.getString("cluster"), ProofMode.valueOf(rs.getString("mode")),
                RpoBasis.valueOf(rs.getString("rpo_basis")),
                ProofState.valueOf(rs.getString("state")), rs.getObject("backup_id", UUID.class),
                rs.getString("proven_lsn"), instant(rs.getTimestamp("proven_time")), rs.getString("archive_end"),
                rs.getString("failure"), rs.getString("failed_segment"), rs.getLong("failures"),
                rs.getObject("last_job", UUID.class), instant(rs.getTimestamp("last_run_at")));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
