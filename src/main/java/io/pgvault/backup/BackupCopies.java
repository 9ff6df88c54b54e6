package io.pgvault.backup;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** The catalog's record of each backup's copies in other repositories (table backup_copy). */
@Component
public class BackupCopies {

    private final JdbcTemplate jdbc;
    private final Clock clock;

    BackupCopies(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /**
     * A new copy job for the backup in that repository. A COPIED copy stays COPIED (it is what restores read until
     * a new generation replaces it), and the job is its attempt; any other row is (re)set to QUEUED.
     */
    public void queue(UUID backupId, String repository, UUID jobId) {
        Timestamp now = Timestamp.from(clock.instant());
        if (jdbc.update("update backup_copy set attempt_status = 'QUEUED', attempt_job_id = ?, attempt_location = null, "
                + "attempt_detail = null, attempt_finished_at = null where backup_id = ? and repository = ? and status = "
                + "'COPIED'", jobId, backupId, repository) > 0) {
            return;
        }
        int updated = jdbc.update("update backup_copy set status = 'QUEUED', job_id = ?, queued_at = ?, finished_at = null, "
                + "detail = null, attempt_status = null, attempt_job_id = null, attempt_location = null, "
                + "attempt_detail = null, attempt_finished_at = null where backup_id = ? and repository = ?",
                jobId, now, backupId, repository);
        if (updated == 0) {
            jdbc.update("insert into backup_copy (backup_id, repository, status, job_id, queued_at, generation) values "
                    + "(?, ?, 'QUEUED', ?, ?, 0)", backupId, repository, jobId, now);
        }
    }

    /**
     * Where a copy job writes: the next generation's location beside the backup's {@code location} (the first
     * generation at that location itself, later ones at {@code <location>.g<n>}), and the COPIED one it is to
     * replace (null when there is none). Recorded on the row, so that a crashed attempt's files can be found.
     */
    @Transactional
    public Generation copying(UUID backupId, String repository, String location) {
        Generation next = jdbc.query("select status, location, generation from backup_copy where backup_id = ? and "
                + "repository = ? for update", rs -> {
                    if (!rs.next()) {
                        throw new IllegalStateException("backup " + backupId + " has no copy row for repository '"
                                + repository + "'");
                    }
                    int generation = rs.getInt(3) + 1;
                    boolean copied = BackupCopy.COPIED.equals(rs.getString(1));
                    return new Generation(generation, generation <= 1 ? location : location + ".g" + generation,
                            copied ? rs.getString(2) : null, copied ? rs.getInt(3) : 0);
                }, backupId, repository);
        if (next.kept() != null) {
            jdbc.update("update backup_copy set attempt_status = 'COPYING', attempt_location = ? where backup_id = ? "
                    + "and repository = ?", next.location(), backupId, repository);
        } else {
            jdbc.update("update backup_copy set status = 'COPYING', attempt_location = ? where backup_id = ? and "
                    + "repository = ?", next.location(), backupId, repository);
        }
        return next;
    }

    /**
     * The generation a copy job writes: its number and location, and the location and number of the COPIED
     * generation it replaces once complete (null and 0 when there is none).
     */
    public record Generation(int number, String location, String kept, int keptNumber) {
    }

    /**
     * The new generation is complete and read back: it is the copy now. Returns the location of the generation it
     * replaced, for the caller to remove now that nothing points at it (empty when there was none, or the same).
     */
    @Transactional
    public java.util.Optional<String> copied(UUID backupId, String repository, Generation generation, String detail) {
        return switched(backupId, repository, generation, detail);
    }

    /**
     * As above, for a copy of a block-store backup: {@code manifest} is the copy's own manifest (rewritten with
     * the copy repository's block names), null when it is the backup's, byte for byte. A re-encryption's new
     * generation passes null through the method above and keeps what was recorded: it changes no plain byte.
     */
    @Transactional
    public java.util.Optional<String> copied(UUID backupId, String repository, Generation generation, String detail,
            BackupFile manifest) {
        java.util.Optional<String> old = switched(backupId, repository, generation, detail);
        jdbc.update("update backup_copy set manifest_size = ?, manifest_sha256 = ? where backup_id = ? and "
                + "repository = ?", manifest == null ? null : manifest.sizeBytes(),
                manifest == null ? null : manifest.sha256(), backupId, repository);
        return old;
    }

    private java.util.Optional<String> switched(UUID backupId, String repository, Generation generation,
            String detail) {
        String[] row = jdbc.query("select status, location from backup_copy where backup_id = ? and repository = ? "
                + "for update", rs -> rs.next() ? new String[] {rs.getString(1), rs.getString(2)} : null,
                backupId, repository);
        if (row == null || "DELETED".equals(row[0])) {
            // the backup, or this copy by its repository's retention, went while the generation was written
            throw new IllegalStateException("the copy of backup " + backupId + " in repository '" + repository
                    + "' was deleted while this generation was written; the new generation is removed");
        }
        String old = BackupCopy.COPIED.equals(row[0]) ? row[1] : null;
        // key_id: the key the new generation is under is recorded by whoever knows it (a re-encryption), else unknown
        jdbc.update("update backup_copy set status = 'COPIED', location = ?, generation = ?, key_id = null, job_id = coalesce("
                + "attempt_job_id, job_id), finished_at = ?, detail = ?, attempt_status = null, attempt_job_id = null, "
                + "attempt_location = null, attempt_detail = null, attempt_finished_at = null where backup_id = ? and "
                + "repository = ?", generation.location(), generation.number(), Timestamp.from(clock.instant()),
                cut(detail), backupId, repository);
        return old == null || old.equals(generation.location()) ? java.util.Optional.empty()
                : java.util.Optional.of(old);
    }

    /**
     * The copy job failed. A COPIED copy stays COPIED, and the failure is its attempt's; any other copy is
     * FAILED. Returns where the failed attempt wrote (for the caller to remove; null when unknown) and whether
     * a COPIED copy was kept.
     */
    @Transactional
    public Failed failed(UUID backupId, String repository, String detail) {
        Failed failed = jdbc.query("select status, attempt_location, generation from backup_copy where backup_id = ? "
                + "and repository = ? for update", rs -> rs.next() ? new Failed(rs.getString(2),
                        BackupCopy.COPIED.equals(rs.getString(1)), rs.getInt(3)) : new Failed(null, false, 0),
                backupId, repository);
        Timestamp now = Timestamp.from(clock.instant());
        if (failed.kept()) {
            jdbc.update("update backup_copy set attempt_status = 'FAILED', attempt_location = null, attempt_detail = ?, "
                    + "attempt_finished_at = ? where backup_id = ? and repository = ?", cut(detail), now, backupId,
                    repository);
        } else {
            // a copy DELETED meanwhile stays DELETED
            jdbc.update("update backup_copy set status = 'FAILED', location = null, attempt_location = null, "
                    + "finished_at = ?, detail = ? where backup_id = ? and repository = ? and status <> 'DELETED'", now,
                    cut(detail), backupId, repository);
        }
        return failed;
    }

    /** A failed copy job: where its attempt wrote, and whether the COPIED generation {@code keptNumber} stays. */
    public record Failed(String attemptLocation, boolean kept, int keptNumber) {
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

    private static String cut(String detail) {
        return detail == null ? null : detail.length() > 4000 ? detail.substring(0, 4000) : detail;
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
        jdbc.query("select backup_id, repository, status, location, job_id, queued_at, finished_at, detail, generation, "
                + "attempt_status, attempt_job_id, attempt_detail, attempt_finished_at, manifest_size, manifest_sha256 from backup_copy where backup_id "
                + "in (" + marks + ") order by repository", rs -> {
                    BackupCopy.Attempt attempt = rs.getString(10) == null ? null : new BackupCopy.Attempt(
                            rs.getString(10), rs.getObject(11, UUID.class), rs.getString(12), instant(rs.getTimestamp(13)));
                    copies.computeIfAbsent(rs.getObject(1, UUID.class), k -> new java.util.ArrayList<>()).add(
                            new BackupCopy(rs.getString(2), rs.getString(3), rs.getString(4), rs.getObject(5, UUID.class),
                                    rs.getTimestamp(6).toInstant(), instant(rs.getTimestamp(7)), rs.getString(8),
                                    rs.getInt(9) == 0 ? null : rs.getInt(9), attempt, rs.getString(15) == null ? null
                                    : new BackupFile(DumpFormat.BLOCKS.fileName(false), rs.getLong(14),
                                    rs.getString(15))));
                }, backupIds.toArray());
    }

    private static java.time.Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
