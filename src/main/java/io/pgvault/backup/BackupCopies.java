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

    /** Marks one copy DELETED (retention of its repository removed it). */
    public void deleted(UUID backupId, String repository, String reason) {
        jdbc.update("update backup_copy set status = 'DELETED', finished_at = ?, detail = ? where backup_id = ? "
                + "and repository = ?", Timestamp.from(clock.instant()), reason, backupId, repository);
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
        return of(List.of(backupId)).getOrDefault(backupId, List.of());
    }

    /** The copies of several backups (a page of the list) in one query, by backup; backups without copies are absent. */
    public java.util.Map<UUID, List<BackupCopy>> of(java.util.Collection<UUID> backupIds) {
        java.util.Map<UUID, List<BackupCopy>> copies = new java.util.HashMap<>();
        List<UUID> ids = List.copyOf(backupIds);
        // a bounded number of parameters per query (PostgreSQL takes at most 65,535)
        for (int from = 0; from < ids.size(); from += 1000) {
            read(ids.subList(from, Math.min(ids.size(), from + 1000)), copies);
        }
        return copies;
    }

    private void read(List<UUID> backupIds, java.util.Map<UUID, List<BackupCopy>> copies) {
        String marks = String.join(", ", java.util.Collections.nCopies(backupIds.size(), "?"));
        jdbc.query("select backup_id, repository, status, location, job_id, queued_at, finished_at, detail from "
                + "backup_copy where backup_id in (" + marks + ") order by repository", rs -> {
                    copies.computeIfAbsent(rs.getObject(1, UUID.class), k -> new java.util.ArrayList<>()).add(
                            new BackupCopy(rs.getString(2), rs.getString(3), rs.getString(4), rs.getObject(5, UUID.class),
                                    rs.getTimestamp(6).toInstant(),
                                    rs.getTimestamp(7) == null ? null : rs.getTimestamp(7).toInstant(), rs.getString(8)));
                }, backupIds.toArray());
    }
}
