package io.pgvault.backup;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The objects a table needs besides itself (its schema, the types, domains and collations of its columns, the
 * functions and sequences its defaults and checks use, an extension that provides any of them), named the way
 * pg_dump names them in an archive: schema plus the object's name, a function as {@code name(argument types)}
 * formatted with an empty search_path. One spelling on both sides lets a backup's recorded needs, an archive's
 * entries and a destination's catalog be compared by name.
 */
public final class CatalogObjects {

    /** The archive entry type of each kind. */
    private static final Map<String, String> DESCS = Map.of("schema", "SCHEMA", "type", "TYPE", "domain", "DOMAIN",
            "function", "FUNCTION", "procedure", "PROCEDURE", "aggregate", "AGGREGATE", "sequence", "SEQUENCE",
            "collation", "COLLATION", "extension", "EXTENSION", "table", "TABLE");

    private static final String MISSING = """
            select x.k, x.s, x.n from unnest(?::text[], ?::text[], ?::text[]) as x(k, s, n)
            where not case x.k
              when 'schema' then exists (select 1 from pg_catalog.pg_namespace where nspname = x.n)
              when 'extension' then exists (select 1 from pg_catalog.pg_extension where extname = x.n)
              when 'type' then exists (select 1 from pg_catalog.pg_type t join pg_catalog.pg_namespace s
                    on s.oid = t.typnamespace where s.nspname = x.s and t.typname = x.n)
              when 'domain' then exists (select 1 from pg_catalog.pg_type t join pg_catalog.pg_namespace s
                    on s.oid = t.typnamespace where s.nspname = x.s and t.typname = x.n)
              when 'collation' then exists (select 1 from pg_catalog.pg_collation c join pg_catalog.pg_namespace s
                    on s.oid = c.collnamespace where s.nspname = x.s and c.collname = x.n)
              when 'sequence' then exists (select 1 from pg_catalog.pg_class c join pg_catalog.pg_namespace s
                    on s.oid = c.relnamespace where s.nspname = x.s and c.relname = x.n and c.relkind = 'S')
              when 'table' then exists (select 1 from pg_catalog.pg_class c join pg_catalog.pg_namespace s
                    on s.oid = c.relnamespace where s.nspname = x.s and c.relname = x.n
                    and c.relkind in ('r', 'p', 'f', 'v', 'm'))
              when 'function' then exists (select 1 from pg_catalog.pg_proc p join pg_catalog.pg_namespace s
                    on s.oid = p.pronamespace where s.nspname = x.s
                    and p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')' = x.n)
              when 'procedure' then exists (select 1 from pg_catalog.pg_proc p join pg_catalog.pg_namespace s
                    on s.oid = p.pronamespace where s.nspname = x.s
                    and p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')' = x.n)
              else true end""";

    private CatalogObjects() {
    }

    /** An object by kind (schema, type, domain, function, ...), schema (null for schemas and extensions) and name. */
    public record Ref(String kind, String schema, String name) {

        @Override
        public String toString() {
            return kind + " " + (schema == null ? "" : schema + ".") + name;
        }

        /** The archive entry type that creates such an object. */
        public String desc() {
            return DESCS.get(kind);
        }
    }

    /** The kind of object an archive entry type creates, or null when pgvault does not look such objects up. */
    public static String kindOf(String desc) {
        return DESCS.entrySet().stream().filter(e -> e.getValue().equals(desc)).map(Map.Entry::getKey).findFirst()
                .orElse(null);
    }

    /** The archive entry of that object, or null when the archive does not hold it. */
    public static ArchiveGraph.Node entry(ArchiveGraph graph, Ref ref) {
        return graph.find(ref.desc(), ref.kind().equals("schema") || ref.kind().equals("extension") ? null
                : ref.schema(), ref.name());
    }

    /** Those of {@code refs} that the database behind {@code c} lacks (kinds it does not look up count as there). */
    public static Set<Ref> missing(Connection c, Collection<Ref> refs) throws SQLException {
        Set<Ref> missing = new LinkedHashSet<>();
        if (refs.isEmpty()) {
            return missing;
        }
        List<Ref> all = new ArrayList<>(new LinkedHashSet<>(refs));
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            // the spelling of argument types in function names: as pg_dump writes them, with no schema searched
            st.execute("select pg_catalog.set_config('search_path', '', true)");
            try (PreparedStatement q = c.prepareStatement(MISSING)) {
                q.setArray(1, texts(c, all.stream().map(Ref::kind).toList()));
                q.setArray(2, texts(c, all.stream().map(Ref::schema).toList()));
                q.setArray(3, texts(c, all.stream().map(Ref::name).toList()));
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        missing.add(new Ref(rs.getString(1), rs.getString(2), rs.getString(3)));
                    }
                }
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
        return missing;
    }

    private static Array texts(Connection c, List<String> values) throws SQLException {
        return c.createArrayOf("text", values.toArray());
    }
}
