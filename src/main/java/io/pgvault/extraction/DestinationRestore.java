package io.pgvault.extraction;

import io.pgvault.backup.ArchiveGraph;
import io.pgvault.backup.ArchiveSelection;
import io.pgvault.backup.CatalogObjects;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import io.pgvault.restore.CheckedRestore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * Puts the dumped selection into the destination. The scratch copy's dump holds every definition and only the
 * selection's rows; the entries that make the selection whole are picked by their dependencies
 * ({@link ArchiveSelection}): its tables and trees, what belongs to them, and what they need that the
 * destination lacks (a type, a domain, a function of their schema, the schema itself). They go in in one
 * transaction that counts each table's rows before it commits ({@link CheckedRestore}); a difference from the
 * source's count rolls it back. A whole database goes in with pg_restore's own single transaction (its large
 * objects commit on their own) and is counted after. A database or schema made for the extraction goes again
 * when it fails, unless the request keeps it.
 */
@Component
class DestinationRestore {

    private final ClusterAccess access;
    private final ProcessExecutor executor;
    private final CheckedRestore checked;
    private final ExtractionUndo undo;

    DestinationRestore(ClusterAccess access, ProcessExecutor executor, CheckedRestore checked, ExtractionUndo undo) {
        this.access = access;
        this.executor = executor;
        this.checked = checked;
        this.undo = undo;
    }

    /** The rows put in each table (by destination name) and the objects that came along. */
    record Outcome(Map<String, Long> rows, List<String> broughtAlong) {
    }

    Outcome restore(ExtractionPlan plan, Path file, Path work, List<ScratchSelection.Selected> selection,
            Map<String, Long> expected, String sourceCluster, JobContext context) throws Exception {
        boolean createdDatabase = false;
        boolean createdSchema = false;
        try (ToolSession session = access.toolSession(plan.intoCluster())) {
            try {
                if (plan.createDatabase()) {
                    context.phase("creating database " + plan.intoDatabase());
                    undo.execute(plan.intoCluster(), null, "CREATE DATABASE " + Names.quote(plan.intoDatabase())
                            + " TEMPLATE template0");
                    createdDatabase = true;
                    context.log("pgvault: created database '" + plan.intoDatabase() + "' on cluster '"
                            + plan.intoCluster() + "'");
                }
                Set<String> existing = schemas(plan.intoCluster(), plan.intoDatabase());
                if (plan.intoSchema() != null && plan.schemas().isEmpty() && !existing.contains(plan.intoSchema())) {
                    undo.execute(plan.intoCluster(), plan.intoDatabase(), "CREATE SCHEMA "
                            + Names.quote(plan.intoSchema()));
                    createdSchema = true;
                    context.log("pgvault: created schema " + plan.intoSchema() + " in database '"
                            + plan.intoDatabase() + "'");
                }
                List<String> options = new ArrayList<>();
                if (plan.replace()) {
                    options.addAll(List.of("--clean", "--if-exists"));
                }
                if (!plan.intoCluster().equals(sourceCluster)) {
                    options.addAll(List.of("--no-owner", "--no-privileges"));
                }
                context.phase("restoring into database '" + plan.intoDatabase() + "' on cluster '"
                        + plan.intoCluster() + "'" + (plan.replace() ? ", replacing what is there" : ""));
                ArchiveGraph graph = ArchiveGraph.read(executor, session.tool("pg_restore"), session.environment(null),
                        file, context.cancellation());
                if (plan.wholeDatabase()) {
                    return whole(plan, graph, file, work, existing, options, selection, expected, session, context);
                }
                return selection(plan, graph, file, work, existing, options, selection, expected, session, context);
            } catch (Exception e) {
                if (!(plan.keepFailed() && e instanceof CheckedRestore.RowCountsDiffer)) {
                    // nothing of the restore is there (one transaction); what pgvault created for it goes too
                    undo.undo(plan, createdDatabase, createdSchema, context);
                }
                throw e;
            }
        }
    }

    private Outcome selection(ExtractionPlan plan, ArchiveGraph graph, Path file, Path work, Set<String> existing,
            List<String> options, List<ScratchSelection.Selected> selection, Map<String, Long> expected,
            ToolSession session, JobContext context) throws Exception {
        List<ArchiveGraph.Node> chosen = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ScratchSelection.Selected s : selection) {
            names.add(s.destination().schema() + "\u0000" + s.destination().name());
        }
        Set<String> schemas = new HashSet<>(plan.intoSchema() != null ? List.of(plan.intoSchema()) : plan.schemas());
        for (ArchiveGraph.Node n : graph.nodes()) {
            boolean table = n.is("TABLE") || n.is("MATERIALIZED VIEW") || n.is("FOREIGN TABLE");
            if (table && names.contains(n.schema() + "\u0000" + n.name())) {
                chosen.add(n);
            } else if (!plan.schemas().isEmpty() && n.schema() != null && schemas.contains(n.schema())) {
                chosen.add(n);
            } else if (!plan.schemas().isEmpty() && n.is("SCHEMA") && schemas.contains(n.name())
                    && !existing.contains(n.name())) {
                chosen.add(n);
            }
        }
        ArchiveSelection.Result picked;
        try (Connection c = access.connect(plan.intoCluster(), plan.intoDatabase())) {
            picked = ArchiveSelection.select(graph, chosen, true, true, refs -> CatalogObjects.missing(c, refs));
        }
        if (!picked.missingTables().isEmpty()) {
            throw new IllegalStateException("the selection needs what database '" + plan.intoDatabase() + "' lacks "
                    + "and the extraction does not bring: " + String.join(", ", picked.missingTables()));
        }
        if (!picked.broughtAlong().isEmpty()) {
            context.log("pgvault: the destination lacks what the selection needs; it comes along: "
                    + String.join(", ", picked.broughtAlong()));
        }
        List<CheckedRestore.Count> counts = new ArrayList<>();
        for (ScratchSelection.Selected s : selection) {
            if (s.holdsRows()) {
                counts.add(new CheckedRestore.Count(s.destination().sql(), s.destination().toString(),
                        expected.get(s.destination().toString())));
            }
        }
        Map<String, Long> rows = checked.run(session, plan.intoDatabase(), file, picked.list(), work, counts,
                new CheckedRestore.Options(options, false, !plan.keepFailed(), picked.schemasToMake(graph)), context);
        List<String> wrong = differences(rows, expected);
        if (!wrong.isEmpty()) {
            throw new CheckedRestore.RowCountsDiffer(CheckedRestore.DIFFERENCE + String.join(", ", wrong)
                    + " (kept, as keepFailed asked)");
        }
        return new Outcome(rows, picked.broughtAlong());
    }

    /** A whole database: every entry but the schemas the destination has; counted after it committed. */
    private Outcome whole(ExtractionPlan plan, ArchiveGraph graph, Path file, Path work, Set<String> existing,
            List<String> options, List<ScratchSelection.Selected> selection, Map<String, Long> expected,
            ToolSession session, JobContext context) throws Exception {
        Path list = work.resolve("destination.list");
        StringBuilder entries = new StringBuilder();
        graph.nodes().stream().filter(n -> !(n.is("SCHEMA") && !"public".equals(n.name())
                && existing.contains(n.name()))).forEach(n -> entries.append(n.line()).append('\n'));
        Files.writeString(list, entries.toString(), StandardCharsets.UTF_8);
        List<String> argv = new ArrayList<>(List.of(session.tool("pg_restore"), "--no-password",
                "--exit-on-error", "--single-transaction", "--use-list=" + list,
                "--dbname=" + ToolSession.conninfo(plan.intoDatabase())));
        argv.addAll(options);
        argv.add(file.toString());
        executor.run(ProcessSpec.of(argv).environment(session.environment(null)).stderrLines(context::log),
                context.cancellation());
        Map<String, Long> rows = new LinkedHashMap<>();
        try (Connection c = access.connect(plan.intoCluster(), plan.intoDatabase()); Statement st = c.createStatement()) {
            for (ScratchSelection.Selected s : selection) {
                if (s.holdsRows()) {
                    try (ResultSet rs = st.executeQuery("select count(*) from " + s.destination().sql())) {
                        rs.next();
                        rows.put(s.destination().toString(), rs.getLong(1));
                    }
                }
            }
        }
        List<String> wrong = differences(rows, expected);
        if (!wrong.isEmpty()) {
            throw new CheckedRestore.RowCountsDiffer(CheckedRestore.DIFFERENCE + String.join(", ", wrong));
        }
        return new Outcome(rows, List.of());
    }

    private static List<String> differences(Map<String, Long> rows, Map<String, Long> expected) {
        List<String> wrong = new ArrayList<>();
        expected.forEach((table, count) -> {
            Long got = rows.get(table);
            if (count != null && got != null && !got.equals(count)) {
                wrong.add(table + " has " + got + " row(s), the source had " + count);
            }
        });
        return wrong;
    }

    private Set<String> schemas(String cluster, String database) throws SQLException {
        Set<String> names = new HashSet<>();
        try (Connection c = access.connect(cluster, database); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select nspname from pg_catalog.pg_namespace")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }
}
