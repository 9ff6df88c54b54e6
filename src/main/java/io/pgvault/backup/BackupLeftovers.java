package io.pgvault.backup;

import io.pgvault.storage.Repositories;
import io.pgvault.storage.RepositorySweep;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Objects of backups the catalog no longer has: retention (or a delete) commits the backup as DELETED, then
 * removes its objects; a crash or an unreachable bucket in between leaves them. Below
 * {@code {cluster}/{kind}/{backupId}/}, objects older than the sweep's grace whose backup row is gone or DELETED
 * are removed. A key that does not name a backup id is never touched.
 */
@Component
class BackupLeftovers implements RepositorySweep {

    private final JdbcTemplate catalog;

    BackupLeftovers(JdbcTemplate catalog) {
        this.catalog = catalog;
    }

    @Override
    public String name() {
        return "backup-leftovers";
    }

    @Override
    public List<String> sweep(Repositories.Repository repository, Instant before) throws IOException {
        List<String> removed = new ArrayList<>();
        for (String cluster : catalog.queryForList("select name from cluster order by name", String.class)) {
            for (BackupKind kind : BackupKind.values()) {
                String prefix = cluster + "/" + kind.name() + "/";
                for (String key : repository.store().listWrittenBefore(prefix, before)) {
                    UUID id = backupId(key.substring(prefix.length()));
                    if (id != null && gone(id)) {
                        repository.store().delete(key);
                        removed.add(key);
                    }
                }
            }
        }
        return removed;
    }

    private boolean gone(UUID id) {
        List<String> status = catalog.queryForList("select status from backup where id = ?", String.class, id);
        return status.isEmpty() || status.get(0).equals(BackupStatus.DELETED.name());
    }

    private static UUID backupId(String rest) {
        int slash = rest.indexOf('/');
        if (slash < 0) {
            return null;
        }
        try {
            // a copy's later generations live beside the first: {id}.g2, {id}.g3 (see copy/CopyHandler)
            return UUID.fromString(rest.substring(0, slash).replaceFirst("\\.g[0-9]+$", ""));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
