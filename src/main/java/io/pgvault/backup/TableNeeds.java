package io.pgvault.backup;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * What each table of a backup needs besides itself, read from pg_depend when the backup starts: its schema, the
 * types, domains and collations of its columns (an array standing for its element type, a domain for its base
 * type too), the functions and sequences its defaults, checks, indexes, triggers and policies use, and an
 * extension in place of any object that belongs to one. Sequences that a table owns go with their table and
 * are not listed. A restore or an extraction of some tables refuses up front when the destination lacks one of
 * these and the backup does not hold it (a table-filtered DUMP holds no types), rather than make half a table.
 */
@Component
public class TableNeeds {

    private static final String NEEDS = """
            with recursive
            tabs as (
              select c.oid, n.nspname, c.relname from pg_catalog.pg_class c
              join pg_catalog.pg_namespace n on n.oid = c.relnamespace
              where c.relkind in ('r', 'p', 'm', 'f') and c.relpersistence <> 't'
                and n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%'),
            parts(tab, classid, objid) as (
              select t.oid, 'pg_catalog.pg_class'::pg_catalog.regclass::oid, t.oid from tabs t
              union all select d.adrelid, 'pg_catalog.pg_attrdef'::pg_catalog.regclass::oid, d.oid
                from pg_catalog.pg_attrdef d join tabs t on t.oid = d.adrelid
              union all select k.conrelid, 'pg_catalog.pg_constraint'::pg_catalog.regclass::oid, k.oid
                from pg_catalog.pg_constraint k join tabs t on t.oid = k.conrelid where k.contype <> 'f'
              union all select g.tgrelid, 'pg_catalog.pg_trigger'::pg_catalog.regclass::oid, g.oid
                from pg_catalog.pg_trigger g join tabs t on t.oid = g.tgrelid where not g.tgisinternal
              union all select x.indrelid, 'pg_catalog.pg_class'::pg_catalog.regclass::oid, x.indexrelid
                from pg_catalog.pg_index x join tabs t on t.oid = x.indrelid
              union all select p.polrelid, 'pg_catalog.pg_policy'::pg_catalog.regclass::oid, p.oid
                from pg_catalog.pg_policy p join tabs t on t.oid = p.polrelid),
            refs(tab, classid, objid, depth) as (
              select p.tab, d.refclassid, case when d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass
                  then coalesce((select e.typelem from pg_catalog.pg_type e where e.oid = d.refobjid
                                 and e.typcategory = 'A' and e.typelem <> 0), d.refobjid) else d.refobjid end, 0
              from parts p join pg_catalog.pg_depend d on d.classid = p.classid and d.objid = p.objid
              where d.deptype = 'n'
              union
              select r.tab, d.refclassid, d.refobjid, r.depth + 1 from refs r
              join (select 'pg_catalog.pg_type'::pg_catalog.regclass::oid as classid, t.oid as typ, t.oid as objid
                    from pg_catalog.pg_type t
                    union all select 'pg_catalog.pg_constraint'::pg_catalog.regclass::oid, k.contypid, k.oid
                    from pg_catalog.pg_constraint k where k.contypid <> 0) s on s.typ = r.objid
              join pg_catalog.pg_depend d on d.classid = s.classid and d.objid = s.objid and d.deptype = 'n'
              where r.classid = 'pg_catalog.pg_type'::pg_catalog.regclass and r.depth < 3),
            mapped as (
              select r.tab, coalesce(x.refclassid, r.classid) as classid, coalesce(x.refobjid, r.objid) as objid
              from refs r left join pg_catalog.pg_depend x on x.classid = r.classid and x.objid = r.objid
                and x.deptype = 'e')
            select distinct t.nspname, t.relname, o.kind, o.sch, o.name from mapped m join tabs t on t.oid = m.tab
            join lateral (
              select 'schema' as kind, null::text as sch, s.nspname::text as name from pg_catalog.pg_namespace s
                where m.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass and s.oid = m.objid
              union all select case when y.typtype = 'd' then 'domain' when y.typtype = 'c' and r.relkind <> 'c'
                  then 'table' else 'type' end, s.nspname::text, coalesce(r.relname, y.typname)::text
                from pg_catalog.pg_type y join pg_catalog.pg_namespace s on s.oid = y.typnamespace
                left join pg_catalog.pg_class r on r.oid = y.typrelid and y.typtype = 'c'
                where m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass and y.oid = m.objid
              union all select case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'function' end,
                  s.nspname::text, p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')'
                from pg_catalog.pg_proc p join pg_catalog.pg_namespace s on s.oid = p.pronamespace
                where m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass and p.oid = m.objid
              union all select 'collation', s.nspname::text, c.collname::text
                from pg_catalog.pg_collation c join pg_catalog.pg_namespace s on s.oid = c.collnamespace
                where m.classid = 'pg_catalog.pg_collation'::pg_catalog.regclass and c.oid = m.objid
              union all select 'sequence', s.nspname::text, c.relname::text
                from pg_catalog.pg_class c join pg_catalog.pg_namespace s on s.oid = c.relnamespace
                where m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and c.oid = m.objid and c.relkind = 'S'
                  and not exists (select 1 from pg_catalog.pg_depend o where o.classid = c.tableoid
                                  and o.objid = c.oid and o.refclassid = c.tableoid and o.deptype in ('a', 'i'))
              union all select 'extension', null, e.extname::text from pg_catalog.pg_extension e
                where m.classid = 'pg_catalog.pg_extension'::pg_catalog.regclass and e.oid = m.objid) o on true
            where coalesce(o.sch, '') not in ('pg_catalog', 'information_schema')
              and not (o.kind = 'schema' and o.name in ('pg_catalog', 'information_schema'))
              and not (o.kind = 'table' and o.sch = t.nspname and o.name = t.relname)
            order by 1, 2, 3, 4, 5""";

    private final JdbcTemplate catalog;

    TableNeeds(JdbcTemplate catalog) {
        this.catalog = catalog;
    }

    /** A table's need: an object by kind, schema and name; {@code archived}: the backup holds it. */
    public record Need(String database, String schema, String table, CatalogObjects.Ref object, boolean archived) {

        public String qualifiedTable() {
            return schema + "." + table;
        }
    }

    /** The needs of every user table of the database behind {@code c} (marked archived). */
    static List<Need> read(Connection c, String database) throws SQLException {
        List<Need> needs = new ArrayList<>();
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("set local search_path = ''");
            st.execute("set local statement_timeout = '60s'");
            try (ResultSet rs = st.executeQuery(NEEDS)) {
                while (rs.next()) {
                    needs.add(new Need(database, rs.getString(1), rs.getString(2),
                            new CatalogObjects.Ref(rs.getString(3), rs.getString(4), rs.getString(5)), true));
                }
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
        return needs;
    }

    /** The needs with {@code archived} as the dump's table of contents says. */
    static List<Need> archived(List<Need> needs, ArchiveToc toc) {
        return needs.stream().map(n -> new Need(n.database(), n.schema(), n.table(), n.object(),
                toc.has(n.object().desc(), n.object().schema() == null ? "-" : n.object().schema(),
                        n.object().name()))).toList();
    }

    @Transactional
    public void record(UUID backupId, List<Need> needs) {
        catalog.update("delete from backup_need where backup_id = ?", backupId);
        catalog.batchUpdate("insert into backup_need (backup_id, database_name, schema_name, table_name, kind, "
                + "need_schema, need_name, archived) values (?, ?, ?, ?, ?, ?, ?, ?)", needs, 500, (ps, n) -> {
                    ps.setObject(1, backupId);
                    ps.setString(2, n.database());
                    ps.setString(3, n.schema());
                    ps.setString(4, n.table());
                    ps.setString(5, n.object().kind());
                    ps.setString(6, n.object().schema() == null ? "" : n.object().schema());
                    ps.setString(7, n.object().name());
                    ps.setBoolean(8, n.archived());
                });
    }

    /** What was recorded for the backup's tables of {@code database}; empty for a backup taken before. */
    public List<Need> recorded(UUID backupId, String database) {
        return catalog.query("""
                select schema_name, table_name, kind, need_schema, need_name, archived from backup_need
                where backup_id = ? and database_name = ? order by schema_name, table_name, kind, need_schema,
                need_name""", (rs, i) -> new Need(database, rs.getString(1), rs.getString(2),
                new CatalogObjects.Ref(rs.getString(3), rs.getString(4).isEmpty() ? null : rs.getString(4),
                        rs.getString(5)), rs.getBoolean(6)), backupId, database);
    }
}
