package io.pgvault.backup;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** The catalog's record of each backup's copies in other repositories (table backup_copy). */
@Component
public class BackupCopies {

    private final JdbcTemplate jdbc;
    private final Clock clock;

    BackupCopies(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** A new copy job for the backup in that repository: the row is (re)set to QUEUED. */
    public void queue(UUID backupId, String repository, UUID jobId) {
        Timestamp now = Timestamp.from(clock.instant());
        int updated = jdbc.update("update backup_copy set status = 'QUEUED', job_id = ?, queued_at = ?, finished_at = null, "
                + "detail = null where backup_id = ? and repository = ?", jobId, now, backupId, repository);
        if (updated == 0) {
            jdbc.update("insert into backup_copy (backup_id, repository, status, job_id, queued_at) values (?, ?, 'QUEUED', ?, ?)",
                    backupId, repository, jobId, now);
        }
    }

    public void copying(UUID backupId, String repository) {
        jdbc.update("update backup_copy set status = 'COPYING' where backup_id = ? and repository = ?", backupId,
                repository);
    }

    public void copied(UUID backupId, String repository, String location, String detail) {
        end(backupId, repository, BackupCopy.COPIED, location, detail);
    }

    public void failed(UUID backupId, String repository, String detail) {
        end(backupId, repository, "FAILED", null, detail);
    }

    /** Marks every copy of the backup DELETED (their files are removed with the backup's). */
    public void deleted(UUID backupId) {
        jdbc.update("update backup_copy set status = 'DELETED', finished_at = ? where backup_id = ? and status <> 'DELETED'",
                Timestamp.from(clock.instant()), backupId);
    }

    private void end(UUID backupId, String repository, String status, String location, String detail) {
        jdbc.update("update backup_copy set status = ?, location = ?, finished_at = ?, detail = ? where backup_id = ? "
                + "and repository = ?", status, location, Timestamp.from(clock.instant()),
                detail == null ? null : detail.length() > 4000 ? detail.substring(0, 4000) : detail, backupId, repository);
    }

    /** The backup's copies, by repository name. */
    public List<BackupCopy> of(UUID backupId) {
        return jdbc.query("select repository, status, location, job_id, queued_at, finished_at, detail from backup_copy "
                + "where backup_id = ? order by repository", (rs, n) -> new BackupCopy(rs.getString(1), rs.getString(2),
                        rs.getString(3), rs.getObject(4, UUID.class), rs.getTimestamp(5).toInstant(),
                        rs.getTimestamp(6) == null ? null : rs.getTimestamp(6).toInstant(), rs.getString(7)), backupId);
    }
}
