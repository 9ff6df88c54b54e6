package io.pgvault.storage;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * How many stored objects of a repository each key encrypts, from the catalog alone: the key id recorded with each
 * backup file (V17), each WAL file (V17), each copy of a backup (its files, V45) and each WAL copy (V45), counting
 * only what the catalog points at (a backup that is SUCCEEDED, a copy that is COPIED). Cheap (four grouped
 * queries, no object read) and exact for what pgvault wrote since it records keys; objects whose key the catalog
 * does not record (copies made before V45) are counted apart, and a re-encryption reads and records their keys.
 */
@Component
class StoredKeyUsage {

    /** The key id that stands for "not recorded" in the counts' query results. */
    static final String UNRECORDED = "";

    private static final String[] COUNTS = {
        "select f.key_id, count(*) from backup_file f join backup b on b.id = f.backup_id where coalesce(b.repository, "
                + "'local') = ? and b.status = 'SUCCEEDED' and b.location is not null group by f.key_id",
        "select key_id, count(*) from wal_file where coalesce(repository, 'local') = ? group by key_id",
        "select c.key_id, count(*) from backup_copy c join backup b on b.id = c.backup_id join backup_file f on "
                + "f.backup_id = c.backup_id where c.repository = ? and c.status = 'COPIED' and c.location is not null "
                + "and b.status = 'SUCCEEDED' group by c.key_id",
        "select key_id, count(*) from wal_copy where repository = ? group by key_id"};

    private final JdbcTemplate jdbc;

    StoredKeyUsage(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Objects by the key id recorded for them; those without a recorded key under {@link #UNRECORDED}. */
    Map<String, Long> count(String repository) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String query : COUNTS) {
            jdbc.query(query, row -> {
                String keyId = row.getString(1);
                counts.merge(keyId == null ? UNRECORDED : keyId, row.getLong(2), Long::sum);
            }, repository);
        }
        return counts;
    }

    /**
     * Old objects of the repository a re-encryption switched away from and could not remove yet (V49): nothing
     * points at them, but they are under an older key, which must stay until they are gone.
     */
    long leftovers(String repository) {
        Long n = jdbc.queryForObject("select count(*) from reencryption_leftover where repository = ?", Long.class,
                repository);
        return n == null ? 0 : n;
    }
}
