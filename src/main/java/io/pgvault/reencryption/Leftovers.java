package io.pgvault.reencryption;

import io.pgvault.job.FailureCause;
import io.pgvault.storage.ObjectRewrite;
import io.pgvault.wal.WalReencryption;
import java.io.IOException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Old objects a re-encryption could not remove after switching the catalog away from them (V49): an old backup
 * generation, or a WAL file's old stored object, when the bucket fails right after the switch. Nothing points at
 * them, so nothing else would ever find a backup generation again (the leftovers sweep knows only backups the
 * catalog deleted), and they stay under the old key, which is what a re-encryption is run to be rid of. Each is
 * noted in the catalog; every run of the repository's re-encryption removes what is noted before its work and
 * again after it, and fails, naming them, while one is left, so that a run that SUCCEEDED leaves nothing under an
 * older key and a re-run finishes the removal.
 */
@Component
class Leftovers {

    private final JdbcTemplate jdbc;
    private final ObjectRewrite objects;
    private final Clock clock;
    private final WalReencryption wal;

    Leftovers(JdbcTemplate jdbc, ObjectRewrite objects, Clock clock, WalReencryption wal) {
        this.jdbc = jdbc;
        this.objects = objects;
        this.clock = clock;
        this.wal = wal;
    }

    /** Notes an object ({@code location} false) or a whole generation ({@code location} true) to remove. */
    void note(Progress p, String key, boolean location) {
        jdbc.update("delete from reencryption_leftover where repository = ? and object_key = ?", p.repository, key);
        jdbc.update("insert into reencryption_leftover (repository, object_key, is_location, noted_at, noted_by) "
                + "values (?, ?, ?, ?, ?)", p.repository, key, location, Timestamp.from(clock.instant()),
                p.context.jobId());
    }

    /** Removes what is noted for the repository; answers what is still left, each with why. */
    List<String> remove(String repository, Progress p) {
        List<String> left = new ArrayList<>();
        for (var row : jdbc.queryForList("select object_key, is_location from reencryption_leftover where "
                + "repository = ? order by object_key", repository)) {
            String key = (String) row.get("object_key");
            boolean location = Boolean.TRUE.equals(row.get("is_location"));
            try {
                String done;
                if (location) {
                    objects.deleteAll(repository, key); // a generation's location is never used again
                    done = "removed the old generation at " + key + ", which an earlier step could not remove";
                } else if (recordedWal(repository, key)) {
                    // the same name stored again since (its row gone by retention, the file pushed anew)
                    done = "kept " + key + ", noted as an old object: the catalog points at it again";
                } else {
                    objects.delete(repository, key);
                    done = "removed the old object " + key + ", which an earlier step could not remove";
                }
                jdbc.update("delete from reencryption_leftover where repository = ? and object_key = ?", repository,
                        key);
                p.log(done);
            } catch (IOException | RuntimeException e) {
                left.add(key + " (" + FailureCause.describe(e) + ")");
            }
        }
        return left;
    }

    /** Whether {@code key}, {@code {cluster}/wal/{timeline}/{storedName}}, is a WAL object the catalog points at. */
    private boolean recordedWal(String repository, String key) {
        String[] parts = key.split("/");
        return parts.length == 4 && parts[1].equals("wal") && wal.recorded(parts[0], repository, parts[3]);
    }
}
