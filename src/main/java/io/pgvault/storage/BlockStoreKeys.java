package io.pgvault.storage;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The keys a repository's block store may hold objects encrypted with (V55). The catalog lists no block, so this is
 * what stands for them when a key is to go: a writer of blocks (a BLOCKS backup, a copy of one, the HMAC key's
 * creation) notes the key it writes under before it writes, and again when a rotation changed it meanwhile; a
 * re-encryption that listed and rewrote every object of the block store while no writer ran clears the set to the
 * current key. Asking costs one query, never a listing of the bucket.
 *
 * <p>Noting is remembered per instance, so that a backup of a million blocks notes its key once, and forgotten each
 * time a writer takes its block lease on this instance: a set cleared by a re-encryption is noted again by the next
 * writer, which always takes a lease first, even an instance that has not seen a rotation yet and writes under the
 * older key. A re-encryption clears only while no lease was taken during its listing (the lease's generation
 * unchanged), so no writer that noted before the clear can still be writing.
 */
@Component
public class BlockStoreKeys {

    /** The key id noted for a block store written before V55, whose keys are not known. */
    public static final String UNKNOWN = "*";

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final Map<String, Set<String>> notedHere = new ConcurrentHashMap<>();

    BlockStoreKeys(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** The key ids noted for the repository's block store (sorted; {@link #UNKNOWN} among them when not known). */
    public Set<String> keyIds(String repository) {
        return new TreeSet<>(jdbc.queryForList("select key_id from block_store_key where repository = ?",
                String.class, repository));
    }

    /** A writer of the repository's blocks took its lease: what this instance noted is noted again. */
    public void leaseTaken(String repository) {
        notedHere.remove(repository);
    }

    /**
     * Before a write under {@code keyId} to the repository's block store: notes the key unless this instance noted it
     * since its last lease there; {@code always} notes it regardless (a write outside a lease: the HMAC key).
     */
    public void writing(String repository, String keyId, boolean always) {
        if (keyId == null) {
            return;
        }
        Set<String> here = notedHere.computeIfAbsent(repository, r -> ConcurrentHashMap.newKeySet());
        if (!always && here.contains(keyId)) {
            return;
        }
        Timestamp now = Timestamp.from(clock.instant());
        if (jdbc.update("update block_store_key set noted_at = ? where repository = ? and key_id = ?", now,
                repository, keyId) == 0) {
            try {
                jdbc.update("insert into block_store_key (repository, key_id, noted_at) values (?, ?, ?)", repository,
                        keyId, now);
            } catch (DuplicateKeyException e) {
                // another writer noted it first
            }
        }
        here.add(keyId);
    }

    /**
     * Leaves {@code keyId} as the only key of the repository's block store (none: {@code null}, the block store was
     * found empty): call only under the repository's block lock, after every object there was listed and found or
     * rewritten under it while no writer held a lease.
     */
    public void clearTo(String repository, String keyId) {
        jdbc.update("delete from block_store_key where repository = ?", repository);
        notedHere.remove(repository);
        writing(repository, keyId, true);
    }
}
