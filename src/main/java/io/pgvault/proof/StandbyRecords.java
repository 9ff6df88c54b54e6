package io.pgvault.proof;

import io.pgvault.recovery.StandbyCopies;
import java.nio.file.Path;
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

/** The {@code proof_standby} rows: where each cluster's standing standby runs, so that a restart finds it again. */
@Component
class StandbyRecords {

    private final JdbcTemplate catalog;
    private final Clock clock;

    StandbyRecords(JdbcTemplate catalog, Clock clock) {
        this.catalog = catalog;
        this.clock = clock;
    }

    /** A standby as recorded. */
    record Row(UUID jobId, String cluster, UUID backupId, Path directory, int port, String host, String owner,
            Long pid, Instant startedAt, Instant checkedAt, String checkSummary) {

        StandbyCopies.Standby standby() {
            return new StandbyCopies.Standby(cluster, directory, port, jobId);
        }
    }

    void insert(StandbyCopies.Standby standby, UUID backupId, String host, String owner, Long pid) {
        Timestamp now = Timestamp.from(clock.instant());
        catalog.update("insert into proof_standby (job_id, cluster, backup_id, data_directory, port, host, owner, pid, "
                + "started_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", standby.jobId(), standby.cluster(),
                backupId, standby.directory().toString(), standby.port(), host, owner, pid, now, now);
    }

    /** Takes the standby over from {@code from} (gone); false when another instance took it first. */
    boolean claim(UUID jobId, String from, String owner) {
        return catalog.update("update proof_standby set owner = ?, updated_at = ? where job_id = ? and "
                + (from == null ? "owner is null" : "owner = ?"), from == null
                ? new Object[] {owner, Timestamp.from(clock.instant()), jobId}
                : new Object[] {owner, Timestamp.from(clock.instant()), jobId, from}) == 1;
    }

    /** The cluster's standby: the newest one (an older one is on its way out). */
    Optional<Row> current(String cluster) {
        return catalog.query("select * from proof_standby where cluster = ? order by started_at desc, job_id",
                StandbyRecords::row, cluster).stream().findFirst();
    }

    List<Row> onHost(String host) {
        return catalog.query("select * from proof_standby where host = ? order by cluster, started_at desc, job_id",
                StandbyRecords::row, host);
    }

    Optional<Row> find(UUID jobId) {
        return catalog.query("select * from proof_standby where job_id = ?", StandbyRecords::row, jobId).stream()
                .findFirst();
    }

    void running(UUID jobId, int port, Long pid) {
        catalog.update("update proof_standby set port = ?, pid = ?, updated_at = ? where job_id = ?", port, pid,
                Timestamp.from(clock.instant()), jobId);
    }

    void checked(UUID jobId, String summary) {
        Timestamp now = Timestamp.from(clock.instant());
        catalog.update("update proof_standby set checked_at = ?, check_summary = ?, updated_at = ? where job_id = ?",
                now, summary.substring(0, Math.min(summary.length(), 2000)), now, jobId);
    }

    void delete(UUID jobId) {
        catalog.update("delete from proof_standby where job_id = ?", jobId);
    }

    private static Row row(ResultSet rs, int n) throws SQLException {
        long pid = rs.getLong("pid");
        Long maybePid = rs.wasNull() ? null : pid;
        Timestamp checked = rs.getTimestamp("checked_at");
        return new Row(rs.getObject("job_id", UUID.class), rs.getString("cluster"),
                rs.getObject("backup_id", UUID.class), Path.of(rs.getString("data_directory")), rs.getInt("port"),
                rs.getString("host"), rs.getString("owner"), maybePid, rs.getTimestamp("started_at").toInstant(),
                checked == null ? null : checked.toInstant(), rs.getString("check_summary"));
    }
}
