package io.pgvault.wal;

import io.pgvault.storage.BackupStorage;
import java.io.IOException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * WAL files copied to repositories other than the one they were pushed to (table wal_copy): the WAL a backup's
 * copy needs to be restored, and a cluster's second WAL archive ({@code walCopyTo}). A fetch whose file is gone
 * from its own repository is served from a copy.
 */
@Component
public class WalCopies {

    private final WalFileRepository files;
    private final BackupStorage storage;
    private final JdbcTemplate jdbc;
    private final Clock clock;

    WalCopies(WalFileRepository files, BackupStorage storage, JdbcTemplate jdbc, Clock clock) {
        this.files = files;
        this.storage = storage;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /**
     * Copies the archived WAL from {@code firstWal} to {@code lastWal} of a backup's timeline, and the timeline
     * history files up to it, to {@code to}, unless they are there already; returns how many were copied.
     */
    public int copyRange(String cluster, long timeline, String firstWal, String lastWal, String to) throws IOException {
        int copied = 0;
        for (WalFile f : notCopied(cluster, to)) {
            boolean history = f.getKind() == WalFileKind.HISTORY && f.getTimeline() <= timeline;
            boolean inRange = f.getKind() == WalFileKind.SEGMENT && f.getTimeline() == timeline
                    && f.getName().compareTo(firstWal) >= 0 && f.getName().compareTo(lastWal) <= 0;
            if (history || inRange) {
                copy(f, to);
                copied++;
            }
        }
        return copied;
    }

    /** Copies every archived file not yet in {@code to}, oldest first; returns how many. */
    public int catchUp(String cluster, String to) throws IOException {
        List<WalFile> pending = notCopied(cluster, to);
        for (WalFile f : pending) {
            copy(f, to);
        }
        return pending.size();
    }

    /** The cluster's archived files that are neither stored in {@code to} nor copied there yet, by name. */
    private List<WalFile> notCopied(String cluster, String to) {
        List<WalFile.Key> keys = jdbc.queryForList("select w.name from wal_file w where w.cluster = ? and "
                + "w.repository <> ? and not exists (select 1 from wal_copy c where c.cluster = w.cluster and "
                + "c.name = w.name and c.repository = ?) order by w.name", String.class, cluster, to, to).stream()
                .map(name -> new WalFile.Key(cluster, name)).toList();
        return files.findAllById(keys).stream().sorted(java.util.Comparator.comparing(WalFile::getName)).toList();
    }

    /** How far {@code to} is behind the cluster's archive: files not copied, and the age of the oldest of them. */
    public Lag lag(String cluster, String to) {
        return jdbc.query("select count(*), min(w.archived_at) from wal_file w where w.cluster = ? and w.repository "
                + "<> ? and not exists (select 1 from wal_copy c where c.cluster = w.cluster and c.name = w.name and "
                + "c.repository = ?)", rs -> {
                    rs.next();
                    Timestamp oldest = rs.getTimestamp(2);
                    return new Lag(rs.getLong(1), oldest == null ? 0
                            : Math.max(0, Duration.between(oldest.toInstant(), clock.instant()).toSeconds()));
                }, cluster, to, to);
    }

    /** Files not yet copied, and for how many seconds the oldest of them has waited. */
    public record Lag(long files, long seconds) {
    }

    /**
     * The copies of the file, besides its own: each repository and the name the bytes are stored under there
     * ({@code storedName}, the file's own stored name, for copies that recorded none: see V45).
     */
    List<Copy> copiesOf(String cluster, String name, String storedName) {
        return jdbc.query("select repository, stored_name from wal_copy where cluster = ? and name = ? order by "
                + "repository", (rs, n) -> new Copy(rs.getString(1), rs.getString(2) == null ? storedName
                        : rs.getString(2)), cluster, name);
    }

    /** The name the file's bytes are stored under in its own repository, as the catalog says now. */
    Optional<String> storedNameNow(String cluster, String name, String repository) {
        return jdbc.queryForList("select coalesce(stored_name, name) from wal_file where cluster = ? and name = ? and "
                + "coalesce(repository, 'local') = ?", String.class, cluster, name, repository).stream().findFirst();
    }

    /** A copy of a WAL file: the repository and the name its bytes are stored under there. */
    record Copy(String repository, String storedName) {
    }

    /** Forgets the copies of a file retention removed, after deleting them; a copy that cannot go is kept listed. */
    void deleteCopies(String cluster, String name, String storedName) {
        for (Copy copy : copiesOf(cluster, name, storedName)) {
            String repository = copy.repository();
            try {
                storage.deleteWal(repository, cluster, WalArchiveService.timelineDir(WalFileName.parse(name)),
                        copy.storedName());
                jdbc.update("delete from wal_copy where cluster = ? and name = ? and repository = ?", cluster, name,
                        repository);
            } catch (IOException | RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(WalCopies.class).warn(
                        "Could not delete the copy of WAL file {} in repository '{}': {}", name, repository, e.toString());
            }
        }
    }

    private void copy(WalFile f, String to) throws IOException {
        // under the stored name the catalog recorded, which the copy's reader asks for too
        storage.copyWal(f.getRepository(), to, f.getCluster(), WalArchiveService.timelineDir(
                WalFileName.parse(f.getName())), f.getStoredName());
        try {
            jdbc.update("insert into wal_copy (cluster, name, repository, copied_at, stored_name) values (?, ?, ?, ?, ?)",
                    f.getCluster(), f.getName(), to, Timestamp.from(Instant.now(clock)), f.getStoredName());
        } catch (DuplicateKeyException copiedMeanwhile) {
            // another instance copied it too: the same bytes
        }
    }
}
