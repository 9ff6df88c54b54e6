package io.pgvault.wal;

import io.pgvault.cluster.ClusterService;
import io.pgvault.storage.codec.Codec;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The WAL files a repository stores, as a re-encryption replaces them: each is written again under a stored name
 * of its own, {@code <name>.<uuid>}, as a push that finds its name taken is (first push wins, V34), and the catalog
 * row is switched to that name under the cluster's archive lock, only while it still lists the name that was read
 * (retention may have taken the row out meanwhile, and then nothing is switched). A file's own row and its copies'
 * rows name their stored bytes apart (V45): when the file's own stored name changes, copies that recorded none
 * keep the old one, which is where their bytes are.
 */
@Component
public class WalReencryption {

    private final JdbcTemplate jdbc;
    private final ClusterService clusters;

    WalReencryption(JdbcTemplate jdbc, ClusterService clusters) {
        this.jdbc = jdbc;
        this.clusters = clusters;
    }

    /**
     * One stored WAL file: the file's own ({@code copy} false) or a copy; its timeline directory, the name its bytes
     * are stored under, the key recorded for them (null: not recorded), the original's size and SHA-256, the codec.
     */
    public record StoredWal(String cluster, String name, String timeline, String storedName, String keyId,
            long sizeBytes, String sha256, Codec codec, boolean copy) {
    }

    /** The WAL files stored in the repository (own and copies) not recorded under {@code keyId}, by name. */
    public List<StoredWal> notUnder(String repository, String keyId) {
        List<StoredWal> all = new ArrayList<>(jdbc.query("select cluster, name, coalesce(stored_name, name), key_id, "
                + "size_bytes, sha256, codec from wal_file where coalesce(repository, 'local') = ? and (key_id is null "
                + "or key_id <> ?) order by cluster, name", (rs, n) -> row(rs, false), repository, keyId));
        all.addAll(jdbc.query("select w.cluster, w.name, coalesce(c.stored_name, w.stored_name, w.name), c.key_id, "
                + "w.size_bytes, w.sha256, w.codec from wal_copy c join wal_file w on w.cluster = c.cluster and w.name = "
                + "c.name where c.repository = ? and (c.key_id is null or c.key_id <> ?) order by w.cluster, w.name",
                (rs, n) -> row(rs, true), repository, keyId));
        return all;
    }

    private static StoredWal row(java.sql.ResultSet rs, boolean copy) throws java.sql.SQLException {
        String name = rs.getString(2);
        return new StoredWal(rs.getString(1), name, WalArchiveService.timelineDir(WalFileName.parse(name)),
                rs.getString(3), rs.getString(4), rs.getLong(5), rs.getString(6), Codec.recorded(rs.getString(7)), copy);
    }

    /**
     * The stored name of the file's bytes re-encrypted under {@code keyId}: the file's name and a suffix of its own,
     * as a push's own name, but derived from the stored name it replaces and the key (a name-based UUID, where a
     * push's is random), so that a run after a failed one writes exactly where the failed one may have left an
     * unrecorded object, and replaces it instead of leaving it for the sweep.
     */
    public static String newStoredName(StoredWal wal, String keyId) {
        return wal.name() + "." + UUID.nameUUIDFromBytes((wal.storedName() + " " + keyId)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Points the file (or its copy in {@code repository}) at {@code storedName}, encrypted under {@code keyId}, if it
     * still lists {@code wal.storedName()} there; false (nothing changed) otherwise.
     */
    @Transactional
    public boolean switchTo(StoredWal wal, String repository, String storedName, String keyId) {
        clusters.lockArchive(wal.cluster());
        if (!wal.copy()) {
            int updated = jdbc.update("update wal_file set stored_name = ?, key_id = ? where cluster = ? and name = ? "
                    + "and coalesce(repository, 'local') = ? and coalesce(stored_name, name) = ?", storedName, keyId,
                    wal.cluster(), wal.name(), repository, wal.storedName());
            if (updated == 1) {
                // copies that recorded no stored name of their own are stored under the old one
                jdbc.update("update wal_copy set stored_name = ? where cluster = ? and name = ? and stored_name is null",
                        wal.storedName(), wal.cluster(), wal.name());
            }
            return updated == 1;
        }
        List<String> now = jdbc.queryForList("select coalesce(c.stored_name, w.stored_name, w.name) from wal_copy c "
                + "join wal_file w on w.cluster = c.cluster and w.name = c.name where c.cluster = ? and c.name = ? and "
                + "c.repository = ?", String.class, wal.cluster(), wal.name(), repository);
        if (now.isEmpty() || !now.get(0).equals(wal.storedName())) {
            return false;
        }
        return jdbc.update("update wal_copy set stored_name = ?, key_id = ? where cluster = ? and name = ? and "
                + "repository = ?", storedName, keyId, wal.cluster(), wal.name(), repository) == 1;
    }

    /**
     * Whether the catalog points at {@code storedName} among the cluster's WAL in the repository (a file's own
     * stored name, or a copy's there): such an object is no leftover, whatever was noted about it before.
     */
    public boolean recorded(String cluster, String repository, String storedName) {
        return jdbc.queryForObject("select count(*) from wal_file w where w.cluster = ? and ((coalesce(w.stored_name, "
                + "w.name) = ? and coalesce(w.repository, 'local') = ?) or exists (select 1 from wal_copy c where "
                + "c.cluster = w.cluster and c.name = w.name and c.repository = ? and coalesce(c.stored_name, "
                + "w.stored_name, w.name) = ?))", Long.class, cluster, storedName, repository, repository,
                storedName) > 0;
    }

    /** Records the key a stored file is encrypted with, read from its first line when the catalog had none. */
    @Transactional
    public void recordKey(StoredWal wal, String repository, String keyId) {
        clusters.lockArchive(wal.cluster());
        if (wal.copy()) {
            jdbc.update("update wal_copy set key_id = ? where cluster = ? and name = ? and repository = ?", keyId,
                    wal.cluster(), wal.name(), repository);
        } else {
            jdbc.update("update wal_file set key_id = ? where cluster = ? and name = ? and coalesce(repository, 'local') "
                    + "= ? and coalesce(stored_name, name) = ?", keyId, wal.cluster(), wal.name(), repository,
                    wal.storedName());
        }
    }
}
