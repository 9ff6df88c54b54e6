package io.pgvault.backup;

import io.pgvault.api.ConflictException;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.Cancellation;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.storage.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * What a backup holds, by name: databases, schemas and tables with row estimates and sizes. Read from the
 * cluster's catalogs while the backup's tool runs (a DUMP's list is then kept to what its archive's table of
 * contents holds) and kept in the catalog next to the backup, so that extractions can check names before they start.
 */
@Component
public class BackupContents {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BackupContents.class);

    /** At most this many relations are recorded per database: a listing, not a second catalog. */
    static final int LIMIT_PER_DATABASE = 20_000;

    private static final String DATABASES = """
            select datname, pg_database_size(oid) from pg_database
            where datallowconn and not datistemplate order by datname""";
    private static final String SCHEMAS = """
            select nspname from pg_namespace
            where nspname not in ('information_schema') and nspname not like 'pg\\_%' order by nspname""";
    /** %s: the size expression; exact sizes open each relation (a lock), estimates read pg_class only. */
    private static final String RELATIONS = """
            select n.nspname, c.relname,
                   case c.relkind when 'r' then 'table' when 'p' then 'partitioned table'
                        when 'm' then 'materialized view' else 'foreign table' end,
                   case when c.reltuples < 0 then null else c.reltuples::bigint end,
                   case when c.relkind = 'f' then null else %s end,
                   p.nspname, p.relname, case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            left join lateral (select pn.nspname, pc.relname from pg_inherits i join pg_class pc on pc.oid = i.inhparent
                               join pg_namespace pn on pn.oid = pc.relnamespace
                               where i.inhrelid = c.oid order by i.inhseqno limit 1) p on true
            where c.relkind in ('r', 'p', 'm', 'f') and c.relpersistence <> 't'
              and n.nspname not in ('information_schema') and n.nspname not like 'pg\\_%%'
            order by 1, 2 limit""" + " " + LIMIT_PER_DATABASE;
    private static final String EXACT_SIZE = "pg_total_relation_size(c.oid)";
    /** From the pages VACUUM and ANALYZE last counted: the table, its TOAST table and its indexes. */
    private static final String ESTIMATED_SIZE = """
            (c.relpages + coalesce((select t.relpages from pg_class t where t.oid = c.reltoastrelid), 0)
             + coalesce((select sum(i.relpages) from pg_index x join pg_class i on i.oid = x.indexrelid
                         where x.indrelid = c.oid), 0))::bigint * current_setting('block_size')::bigint""";

    private final ClusterAccess clusters;
    private final JdbcTemplate catalog;
    private final Workspace workspace;
    private final ProcessExecutor executor;

    BackupContents(ClusterAccess clusters, JdbcTemplate catalog, Workspace workspace, ProcessExecutor executor) {
        this.clusters = clusters;
        this.catalog = catalog;
        this.workspace = workspace;
        this.executor = executor;
    }

    /**
     * The backup's contents as recorded. A DUMP in an archive format taken before pgvault recorded contents is
     * listed from its table of contents now (names only) and recorded; anything else unrecorded is refused.
     */
    public List<Relation> of(BackupView backup) {
        List<Relation> rows = recorded(backup.id());
        if (!rows.isEmpty()) {
            return rows;
        }
        if (backup.status() != BackupStatus.SUCCEEDED) {
            throw new ConflictException("backup " + backup.id() + " is " + backup.status() + "; only a SUCCEEDED "
                    + "backup has contents");
        }
        if (backup.kind() != BackupKind.DUMP || !backup.format().isArchive()) {
            throw new ConflictException("pgvault holds no list of what backup " + backup.id() + " contains: it records "
                    + "one when a BASE or DUMP backup starts, and this one was taken before it did (or the listing "
                    + "failed; its job log says why). A DUMP in an archive format is listed from its table of contents");
        }
        try (ToolSession session = clusters.toolSession(backup.cluster());
                Workspace.LocalCopy file = workspace.materialize(backup.repository(), backup.location(),
                        backup.mainFile())) {
            ArchiveToc toc = ArchiveToc.list(executor, session.tool("pg_restore"), session.environment(null),
                    file.path(), Cancellation.none());
            rows = fromToc(backup.database(), toc);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the table of contents of backup " + backup.id(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        record(backup.id(), rows);
        return rows;
    }

    /** A dump's database, schemas and tables from its table of contents alone: no sizes, no estimates. */
    static List<Relation> fromToc(String database, ArchiveToc toc) {
        java.util.Set<String> schemas = new java.util.TreeSet<>();
        List<Relation> tables = new ArrayList<>();
        for (ArchiveToc.Entry e : toc.entries()) {
            if (e.is("SCHEMA")) {
                schemas.add(e.item().substring("SCHEMA - ".length()).replaceFirst(" [^ ]+$", ""));
            }
            for (String[] kind : new String[][] {{"TABLE", "table"}, {"MATERIALIZED VIEW", "materialized view"},
                    {"FOREIGN TABLE", "foreign table"}}) {
                if (e.is(kind[0])) {
                    String[] words = e.item().substring(kind[0].length() + 1).split(" ");
                    if (words.length >= 3) {
                        // "schema name owner"; a name with spaces keeps its middle words
                        String schema = words[0];
                        String name = String.join(" ", java.util.Arrays.copyOfRange(words, 1, words.length - 1));
                        schemas.add(schema);
                        tables.add(new Relation(database, schema, name, kind[1], null, null));
                    }
                }
            }
        }
        List<Relation> rows = new ArrayList<>();
        rows.add(new Relation(database, null, null, "database", null, null));
        schemas.forEach(s -> rows.add(new Relation(database, s, null, "schema", null, null)));
        rows.addAll(tables);
        return rows;
    }

    /**
     * One row: a database (schema and table null), a schema (table null) or a relation; a partition or an
     * inheritance child names its parent ({@code partitionBound} null: an inheritance child).
     */
    public record Relation(String database, String schema, String table, String kind, Long rowEstimate,
            Long sizeBytes, String parentSchema, String parentTable, String partitionBound) {

        public Relation(String database, String schema, String table, String kind, Long rowEstimate, Long sizeBytes) {
            this(database, schema, table, kind, rowEstimate, sizeBytes, null, null, null);
        }

        /** The parent as schema.name, or null. */
        public String parent() {
            return parentTable == null ? null : parentSchema + "." + parentTable;
        }

        public boolean isDatabase() {
            return schema == null;
        }

        public boolean isSchema() {
            return schema != null && table == null;
        }

        public boolean isTable() {
            return table != null;
        }

        public String qualifiedName() {
            return schema + "." + table;
        }
    }

    /** What a backup holds (its relations) and what its tables need besides themselves. */
    public record Listing(List<Relation> relations, List<TableNeeds.Need> needs) {

        public static final Listing EMPTY = new Listing(List.of(), List.of());
    }

    /**
     * The databases of the cluster (or only {@code database}), their schemas and relations as they are now, and
     * what each table needs.
     */
    public Listing read(String cluster, String database) throws SQLException {
        List<Relation> rows = new ArrayList<>();
        List<TableNeeds.Need> needs = new ArrayList<>();
        String maintenance = clusters.target(cluster).maintenanceDatabase();
        try (Connection c = clusters.connect(cluster, maintenance); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(DATABASES)) {
            while (rs.next()) {
                if (database == null || database.equals(rs.getString(1))) {
                    rows.add(new Relation(rs.getString(1), null, null, "database", null, rs.getLong(2)));
                }
            }
        }
        for (Relation db : List.copyOf(rows)) {
            try (Connection c = clusters.connect(cluster, db.database()); Statement st = c.createStatement()) {
                try (ResultSet rs = st.executeQuery(SCHEMAS)) {
                    while (rs.next()) {
                        rows.add(new Relation(db.database(), rs.getString(1), null, "schema", null, null));
                    }
                }
                rows.addAll(relations(c, db.database()));
                try {
                    needs.addAll(TableNeeds.read(c, db.database()));
                } catch (SQLException e) {
                    // the listing stands without them: restores of some tables then find out at their restore
                    log.warn("Could not read what the tables of database '{}' need: {}", db.database(),
                            e.getMessage());
                }
            }
        }
        return new Listing(rows, needs);
    }

    /**
     * The database's relations with their exact sizes, which open each relation: a table that someone holds
     * locked exclusively would hold the backup up, so when one is locked the sizes are estimates instead.
     */
    private static List<Relation> relations(Connection c, String database) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("set local lock_timeout = '10ms'");
            st.execute("set local statement_timeout = '60s'");
            try {
                return read(st, database, EXACT_SIZE);
            } catch (SQLException e) {
                if (!"55P03".equals(e.getSQLState())) {
                    throw e;
                }
                c.rollback();
                st.execute("set local statement_timeout = '60s'");
                return read(st, database, ESTIMATED_SIZE);
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
    }

    private static List<Relation> read(Statement st, String database, String size) throws SQLException {
        List<Relation> rows = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(RELATIONS.formatted(size))) {
            while (rs.next()) {
                String bound = rs.getString(8);
                rows.add(new Relation(database, rs.getString(1), rs.getString(2), rs.getString(3),
                        (Long) rs.getObject(4, Long.class), (Long) rs.getObject(5, Long.class), rs.getString(6),
                        rs.getString(7), bound == null || bound.length() <= 2000 ? bound : bound.substring(0, 1997)
                                + "..."));
            }
        }
        return rows;
    }

    /** The rows whose tables the predicate keeps (databases and schemas always stay). */
    public static List<Relation> keep(List<Relation> rows, Predicate<Relation> table) {
        return rows.stream().filter(r -> !r.isTable() || table.test(r)).toList();
    }

    @Transactional
    public void record(UUID backupId, List<Relation> rows) {
        catalog.update("delete from backup_relation where backup_id = ?", backupId);
        catalog.batchUpdate("insert into backup_relation (backup_id, database_name, schema_name, table_name, kind, "
                + "row_estimate, size_bytes, parent_schema, parent_table, partition_bound) "
                + "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows, 500, (ps, r) -> {
                    ps.setObject(1, backupId);
                    ps.setString(2, r.database());
                    ps.setString(3, r.schema() == null ? "" : r.schema());
                    ps.setString(4, r.table() == null ? "" : r.table());
                    ps.setString(5, r.kind());
                    ps.setObject(6, r.rowEstimate());
                    ps.setObject(7, r.sizeBytes());
                    ps.setString(8, r.parentSchema());
                    ps.setString(9, r.parentTable());
                    ps.setString(10, r.partitionBound());
                });
    }

    /** What was recorded for the backup; empty when nothing was (a backup taken before pgvault recorded it). */
    public List<Relation> recorded(UUID backupId) {
        return catalog.query("""
                select database_name, schema_name, table_name, kind, row_estimate, size_bytes, parent_schema,
                       parent_table, partition_bound from backup_relation
                where backup_id = ? order by database_name, schema_name, table_name""",
                (rs, i) -> new Relation(rs.getString(1), emptyAsNull(rs.getString(2)), emptyAsNull(rs.getString(3)),
                        rs.getString(4), (Long) rs.getObject(5, Long.class), (Long) rs.getObject(6, Long.class),
                        rs.getString(7), rs.getString(8), rs.getString(9)),
                backupId);
    }

    private static String emptyAsNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
