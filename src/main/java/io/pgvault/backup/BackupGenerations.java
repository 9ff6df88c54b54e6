package io.pgvault.backup;

import io.pgvault.storage.ObjectRewrite;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The backup files that a repository stores, as generations a re-encryption can replace: a backup's own files
 * ({@code backup.location}) and its copies there ({@code backup_copy.location}). A new generation is written
 * beside the one that counts, at {@code <location>.g<n>} as copies always were ({@link BackupCopies#copying}),
 * and the catalog is switched to it in one transaction, only while it still points at the generation that was
 * read: a backup deleted, or copied again, meanwhile keeps what it has, and the caller removes the new one.
 */
@Component
public class BackupGenerations {

    private static final Pattern GENERATION = Pattern.compile("^(.*)\\.g([0-9]+)$");

    private final JdbcTemplate jdbc;
    private final BackupCopies copies;

    BackupGenerations(JdbcTemplate jdbc, BackupCopies copies) {
        this.jdbc = jdbc;
        this.copies = copies;
    }

    /** A backup's files as one repository holds them: its own ({@code copy} false) or its copy there. */
    public record Stored(UUID backupId, String cluster, boolean copy, String location, String keyId,
            List<BackupFile> files) {
    }

    /** The backups whose own files are in the repository and not all recorded under {@code keyId}, oldest first. */
    public List<UUID> ownNotUnder(String repository, String keyId) {
        return jdbc.queryForList("select b.id from backup b where coalesce(b.repository, 'local') = ? and b.status = "
                + "'SUCCEEDED' and b.location is not null and exists (select 1 from backup_file f where f.backup_id = "
                + "b.id and (f.key_id is null or f.key_id <> ?)) order by b.finished_at, b.id", UUID.class,
                repository, keyId);
    }

    /** The backups copied to the repository whose copy is not recorded under {@code keyId} (null: not recorded). */
    public List<UUID> copiesNotUnder(String repository, String keyId) {
        return jdbc.queryForList("select c.backup_id from backup_copy c join backup b on b.id = c.backup_id where "
                + "c.repository = ? and c.status = 'COPIED' and c.location is not null and b.status = 'SUCCEEDED' and "
                + "(c.key_id is null or c.key_id <> ?) order by b.finished_at, b.id", UUID.class, repository, keyId);
    }

    /** The backup's own files, while it is SUCCEEDED in that repository. */
    public Optional<Stored> own(UUID id, String repository) {
        List<String[]> rows = jdbc.query("select cluster, location from backup where id = ? and status = 'SUCCEEDED' "
                + "and coalesce(repository, 'local') = ? and location is not null",
                (rs, n) -> new String[] {rs.getString(1), rs.getString(2)}, id, repository);
        return rows.isEmpty() ? Optional.empty()
                : Optional.of(new Stored(id, rows.get(0)[0], false, rows.get(0)[1], null, files(id)));
    }

    /**
     * The backup's COPIED copy in that repository. A copy of a BLOCKS backup with a manifest of its own (its blocks
     * renamed under the repository's HMAC key, V53) has that manifest's size and SHA-256 in place of the catalog's.
     */
    public Optional<Stored> copy(UUID id, String repository) {
        List<String[]> rows = jdbc.query("select b.cluster, c.location, c.key_id, c.manifest_size, c.manifest_sha256 "
                + "from backup_copy c join backup b on b.id = c.backup_id where c.backup_id = ? and c.repository = ? "
                + "and c.status = 'COPIED' and c.location is not null and b.status = 'SUCCEEDED'",
                (rs, n) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5)}, id, repository);
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        String[] row = rows.get(0);
        List<BackupFile> files = files(id);
        if (row[3] != null && row[4] != null) {
            files = files.stream().map(f -> f.path().equals(io.pgvault.blocks.BlockManifest.FILE)
                    ? new BackupFile(f.path(), Long.parseLong(row[3]), row[4], null, null, null) : f).toList();
        }
        return Optional.of(new Stored(id, row[0], true, row[1], row[2], files));
    }

    private List<BackupFile> files(UUID id) {
        return jdbc.query("select path, size_bytes, sha256, stored_size_bytes, stored_sha256, key_id from backup_file "
                + "where backup_id = ? order by path", (rs, n) -> new BackupFile(rs.getString(1), rs.getLong(2),
                        rs.getString(3), (Long) rs.getObject(4), rs.getString(5), rs.getString(6)), id);
    }

    /** Where the generation after the one at {@code location} goes: {@code <base>.g<n+1>} (the first is g1). */
    public static String nextLocation(String location) {
        Matcher m = GENERATION.matcher(location);
        return m.matches() ? m.group(1) + ".g" + (Integer.parseInt(m.group(2)) + 1) : location + ".g2";
    }

    /** The location of the first generation: {@code location} without its {@code .g<n>}. */
    public static String baseLocation(String location) {
        Matcher m = GENERATION.matcher(location);
        return m.matches() ? m.group(1) : location;
    }

    /**
     * Points the backup at its new generation, with each file's stored size, SHA-256 and key id, if it is still
     * SUCCEEDED at {@code oldLocation}; false (nothing changed) otherwise.
     */
    @Transactional
    public boolean switchOwn(UUID id, String oldLocation, String newLocation, Map<String, ObjectRewrite.Rewritten> files) {
        List<String> now = jdbc.query("select location from backup where id = ? and status = 'SUCCEEDED' for update",
                (rs, n) -> rs.getString(1), id);
        if (now.isEmpty() || !oldLocation.equals(now.get(0))) {
            return false;
        }
        jdbc.update("update backup set location = ? where id = ?", newLocation, id);
        files.forEach((path, f) -> jdbc.update("update backup_file set stored_size_bytes = ?, stored_sha256 = ?, "
                + "key_id = ? where backup_id = ? and path = ?", f.storedSize(), f.storedSha256(), f.keyId(), id, path));
        return true;
    }

    /** The next generation of the COPIED copy in the repository, recorded as its attempt by {@code jobId}. */
    @Transactional
    public BackupCopies.Generation nextCopyGeneration(UUID id, String repository, String location, UUID jobId) {
        copies.queue(id, repository, jobId);
        return copies.copying(id, repository, baseLocation(location));
    }

    /**
     * The copy's new generation is complete, under {@code keyId}: it is the copy now. Returns the location it
     * replaced, to remove; throws when the copy was deleted meanwhile (see {@link BackupCopies#copied}).
     */
    @Transactional
    public Optional<String> copySwitched(UUID id, String repository, BackupCopies.Generation generation,
            String detail, String keyId) {
        Optional<String> old = copies.copied(id, repository, generation, detail);
        recordCopyKey(id, repository, keyId);
        return old;
    }

    /** The new generation failed: the COPIED copy stays, the attempt is FAILED with {@code detail}. */
    public BackupCopies.Failed copyFailed(UUID id, String repository, String detail) {
        return copies.failed(id, repository, detail);
    }

    /**
     * A job that ended without finishing (the server died): the copies' attempts it had begun are FAILED with
     * {@code reason}; their COPIED generations stay, and what an attempt wrote is removed by the next one.
     */
    public void abandonAttempts(UUID jobId, String reason) {
        jdbc.update("update backup_copy set attempt_status = 'FAILED', attempt_detail = ?, attempt_location = null "
                + "where attempt_job_id = ? and attempt_status in ('QUEUED', 'COPYING')", reason, jobId);
    }

    /** Records the key a copy's files are encrypted with (read from the objects when it was not recorded). */
    public void recordCopyKey(UUID id, String repository, String keyId) {
        jdbc.update("update backup_copy set key_id = ? where backup_id = ? and repository = ? and status = 'COPIED'",
                keyId, id, repository);
    }
}
