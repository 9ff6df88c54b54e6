package io.pgvault.extraction;

import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.BackupContents;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.CatalogObjects;
import io.pgvault.backup.TableNeeds;
import io.pgvault.cluster.ClusterAccess;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * An extraction's names and destination checked before anything starts: the database, tables and schemas
 * against what the backup holds (with close matches for a typo), the named tables' trees (their partitions and
 * inheritance children come along, and may clash in the destination too), what the destination already holds,
 * and, for a DUMP that does not hold them, what the selection needs that the destination lacks.
 */
@Component
class ExtractionChecks {

    private static final String RELATIONS = """
            select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
              and n.nspname not in ('pg_catalog', 'information_schema')
              and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp\\_%'
              and (cardinality(?::text[]) = 0 or n.nspname = any (?::text[]))
              and (cardinality(?::text[]) = 0 or n.nspname || '.' || c.relname = any (?::text[]))
            order by 1 limit 20""";

    private final ClusterAccess access;
    private final BackupContents contents;
    private final TableNeeds needs;

    ExtractionChecks(ClusterAccess access, BackupContents contents, TableNeeds needs) {
        this.access = access;
        this.contents = contents;
        this.needs = needs;
    }

    /**
     * The database, tables and schemas against the backup's recorded contents. A table missing there may have
     * been created after a BASE backup and before the target: it passes when the live database has it (the job
     * then finds out for sure).
     */
    List<BackupContents.Relation> checkNames(String cluster, BackupView backup, boolean dump, String database,
            List<Names.Qualified> tables, List<String> schemas) {
        List<BackupContents.Relation> rows = dump ? contents.of(backup) : contents.recorded(backup.id());
        if (rows.isEmpty()) {
            return rows;
        }
        Set<String> databases = new java.util.TreeSet<>();
        rows.stream().filter(BackupContents.Relation::isDatabase).forEach(r -> databases.add(r.database()));
        String taken = "backup " + backup.id() + " (" + backup.kind() + ", " + backup.finishedAt() + ")";
        if (!databases.contains(database)) {
            throw new InvalidRequestException("database", "there is no database '" + database + "' in " + taken
                    + Names.didYouMean(database, databases));
        }
        Set<String> known = new java.util.TreeSet<>();
        Set<String> knownSchemas = new java.util.TreeSet<>();
        for (BackupContents.Relation r : rows) {
            if (r.database().equals(database) && r.isTable()) {
                known.add(new Names.Qualified(r.schema(), r.table()).toString());
            }
            if (r.database().equals(database) && r.isSchema()) {
                knownSchemas.add(r.schema());
            }
        }
        List<String> live = null;
        for (Names.Qualified t : tables) {
            if (known.contains(t.toString())) {
                continue;
            }
            if (live == null) {
                live = dump ? List.of() : liveTables(cluster, database, tables);
            }
            if (!live.contains(t.schema() + "." + t.name())) {
                throw new InvalidRequestException("tables", "there is no table " + t + " in database '" + database
                        + "' in " + taken + (dump ? "" : ", nor in the live database") + Names.didYouMean(t.toString(),
                                known));
            }
        }
        for (String s : schemas) {
            if (!knownSchemas.contains(s)) {
                throw new InvalidRequestException("schemas", "there is no schema " + Names.part(s) + " in database '"
                        + database + "' in " + taken + Names.didYouMean(s, knownSchemas));
            }
        }
        return rows.stream().filter(r -> r.database().equals(database)).toList();
    }

    private List<String> liveTables(String cluster, String database, List<Names.Qualified> tables) {
        try {
            return relations(cluster, database, List.of(), tables.stream().map(t -> t.schema() + "." + t.name())
                    .toList());
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    boolean schemaExists(String cluster, String database, String schema) {
        try (Connection c = access.connect(cluster, database);
                PreparedStatement st = c.prepareStatement("select 1 from pg_namespace where nspname = ?")) {
            st.setString(1, schema);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new InvalidRequestException("into", "cannot read database '" + database + "' on cluster '" + cluster
                    + "': " + e.getMessage());
        }
    }

    /** Relations (as schema.name) in the database, within {@code schemas} and among {@code names} (empty: any). */
    List<String> relations(String cluster, String database, List<String> schemas, List<String> names) {
        List<String> found = new ArrayList<>();
        try (Connection c = access.connect(cluster, database); PreparedStatement st = c.prepareStatement(RELATIONS)) {
            Array s = c.createArrayOf("text", schemas.toArray());
            Array n = c.createArrayOf("text", names.toArray());
            st.setArray(1, s);
            st.setArray(2, s);
            st.setArray(3, n);
            st.setArray(4, n);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new InvalidRequestException("into", "cannot read database '" + database + "' on cluster '" + cluster
                    + "': " + e.getMessage());
        }
        return found;
    }

    /**
     * The tables that a selection takes from the backup's recorded contents: the named tables (or the tables of
     * the named schemas) and, below each, its partitions and inheritance children. Empty when nothing was
     * recorded; the job finds the trees in the scratch copy anyway.
     */
    static List<Names.Qualified> trees(List<BackupContents.Relation> rows, List<Names.Qualified> tables,
            List<String> schemas) {
        Map<String, List<Names.Qualified>> children = new LinkedHashMap<>();
        List<Names.Qualified> roots = new ArrayList<>(tables);
        for (BackupContents.Relation r : rows) {
            if (!r.isTable()) {
                continue;
            }
            Names.Qualified q = new Names.Qualified(r.schema(), r.table());
            if (r.parent() != null) {
                children.computeIfAbsent(new Names.Qualified(r.parentSchema(), r.parentTable()).toString(),
                        p -> new ArrayList<>()).add(q);
            }
            if (schemas.contains(r.schema())) {
                roots.add(q);
            }
        }
        Set<Names.Qualified> all = new LinkedHashSet<>();
        Deque<Names.Qualified> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            Names.Qualified t = todo.pop();
            if (all.add(t)) {
                todo.addAll(children.getOrDefault(t.toString(), List.of()));
            }
        }
        return List.copyOf(all);
    }

    /**
     * A DUMP holds the tables it took but not always what they need (a DUMP of named tables holds no types or
     * functions; a missing schema is simply made): what the destination lacks and the dump does not hold is
     * refused here, naming each object, instead of making half a table. A BASE extraction's scratch server holds
     * everything.
     */
    void checkNeeds(BackupView backup, String database, List<Names.Qualified> selected, List<String> schemas,
            String intoCluster, String intoDatabase, boolean databaseExists) {
        Set<String> names = selected.stream().map(q -> q.schema() + "." + q.name()).collect(Collectors.toSet());
        List<TableNeeds.Need> wanted = needs.recorded(backup.id(), database).stream()
                // a missing schema is made by the extraction; what lives in a selected schema comes with it
                .filter(n -> names.contains(n.qualifiedTable()) && !n.archived() && !n.object().kind().equals("schema")
                        && !schemas.contains(n.object().schema()))
                .toList();
        if (wanted.isEmpty()) {
            return;
        }
        Set<CatalogObjects.Ref> missing = new HashSet<>();
        if (!databaseExists) {
            wanted.stream().map(TableNeeds.Need::object).forEach(missing::add);
        } else {
            try (Connection c = access.connect(intoCluster, intoDatabase)) {
                missing = CatalogObjects.missing(c, wanted.stream().map(TableNeeds.Need::object).toList());
            } catch (SQLException e) {
                throw new InvalidRequestException("into", "cannot read database '" + intoDatabase + "' on cluster '"
                        + intoCluster + "': " + e.getMessage());
            }
        }
        Map<String, List<String>> lacking = new TreeMap<>();
        for (TableNeeds.Need n : wanted) {
            if (missing.contains(n.object())) {
                lacking.computeIfAbsent(n.object().toString(), o -> new ArrayList<>()).add(n.qualifiedTable());
            }
        }
        if (!lacking.isEmpty()) {
            throw new ConflictException("database '" + intoDatabase + "' on cluster '" + intoCluster + "' lacks what "
                    + "the selected tables need, and backup " + backup.id() + " does not hold it (a DUMP of named "
                    + "tables holds no types or functions): " + lacking.entrySet().stream()
                    .map(e -> e.getKey() + " (needed by " + String.join(", ", e.getValue()) + ")")
                    .collect(Collectors.joining(", ")) + ". Create them there first, extract into the source "
                    + "database, or extract from a BASE backup or a whole-database DUMP");
        }
    }
}
