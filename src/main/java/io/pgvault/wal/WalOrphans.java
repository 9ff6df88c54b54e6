package io.pgvault.wal;

import io.pgvault.storage.Repositories;
import io.pgvault.storage.RepositorySweep;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * WAL stored and never recorded: a push cut off (crash, 503, lost connection) between storing its file and
 * recording it, a push that lost to another whose removal failed, a file retention took out of the catalog and
 * died before deleting. Fetch never serves such a file; this removes it from the repository once it is older
 * than the sweep's grace. Recorded means: the stored name of a row in this repository, or the one a copy here
 * records (its row's, for copies from before V45).
 * Names beginning with '.' are pushes still being written (the start-up sweep takes cut-off ones).
 */
@Component
class WalOrphans implements RepositorySweep {

    private final JdbcTemplate catalog;

    WalOrphans(JdbcTemplate catalog) {
        this.catalog = catalog;
    }

    @Override
    public String name() {
        return "wal-unrecorded";
    }

    @Override
    public List<String> sweep(Repositories.Repository repository, Instant before) throws IOException {
        List<String> removed = new ArrayList<>();
        for (String cluster : catalog.queryForList("select name from cluster order by name", String.class)) {
            String prefix = cluster + "/wal/";
            List<String> old = repository.store().listWrittenBefore(prefix, before);
            if (old.isEmpty()) {
                continue;
            }
            Set<String> recorded = recorded(cluster, repository.name());
            for (String key : old) {
                String[] parts = key.substring(prefix.length()).split("/");
                if (parts.length != 2 || parts[1].startsWith(".")) {
                    continue;
                }
                if (!recorded.contains(parts[1]) && !recorded(cluster, repository.name(), parts[1])) {
                    repository.store().delete(key);
                    removed.add(key);
                }
            }
        }
        return removed;
    }

    /** The stored names the catalog lists in the repository for the cluster, as its own files or as copies. */
    private Set<String> recorded(String cluster, String repository) {
        Set<String> names = new HashSet<>(catalog.queryForList("select coalesce(stored_name, name) from wal_file "
                + "where cluster = ? and coalesce(repository, 'local') = ?", String.class, cluster, repository));
        names.addAll(catalog.queryForList("select coalesce(c.stored_name, w.stored_name, w.name) from wal_copy c join "
                + "wal_file w on w.cluster = c.cluster and w.name = c.name where c.cluster = ? and c.repository = ?",
                String.class, cluster, repository));
        return names;
    }

    /** Asked again just before a removal: a file recorded since the listing stays. */
    private boolean recorded(String cluster, String repository, String storedName) {
        return catalog.queryForObject("select count(*) from wal_file w where w.cluster = ? and ((coalesce("
                + "w.stored_name, w.name) = ? and coalesce(w.repository, 'local') = ?) or exists (select 1 from wal_copy c "
                + "where c.cluster = w.cluster and c.name = w.name and c.repository = ? and coalesce(c.stored_name, "
                + "w.stored_name, w.name) = ?))", Long.class, cluster, storedName, repository, repository, storedName) > 0;
    }
}
