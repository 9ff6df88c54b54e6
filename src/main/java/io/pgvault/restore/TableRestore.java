package io.pgvault.restore;

import io.pgvault.backup.ArchiveGraph;
import io.pgvault.backup.ArchiveSelection;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupContents;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.CatalogObjects;
import io.pgvault.backup.TableRows;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import io.pgvault.process.ProcessExecutor;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * A restore of some tables of a DUMP. pg_restore's {@code --table} names one relation and takes its definition
 * and rows only (no partitions, indexes, constraints or the types it needs), and its one transaction cannot
 * be checked before it commits. Here the tables' trees are chosen ({@link TableChoice}), the archive's entries
 * that make them whole are picked by their dependencies ({@link ArchiveSelection}), and they are restored in
 * one transaction that counts every table's rows against the counts the dump recorded in its snapshot
 * ({@link CheckedRestore}): a difference rolls it all back and fails the job naming the table and both counts.
 */
@Component
class TableRestore {

    private final BackupContents contents;
    private final BackupCatalog backups;
    private final ClusterAccess clusters;
    private final ProcessExecutor executor;
    private final CheckedRestore checked;
    private final JsonMapper json;

    TableRestore(BackupContents contents, BackupCatalog backups, ClusterAccess clusters, ProcessExecutor executor,
            CheckedRestore checked, JsonMapper json) {
        this.contents = contents;
        this.backups = backups;
        this.clusters = clusters;
        this.executor = executor;
        this.checked = checked;
        this.json = json;
    }

    void run(BackupView backup, RestoreSpec spec, Path archive, Path work, ToolSession session, JobContext context)
            throws Exception {
        context.phase("reading the archive's table of contents");
        ArchiveGraph graph = ArchiveGraph.read(executor, session.tool("pg_restore"), session.environment(null),
                archive, context.cancellation());
        List<TableChoice.Chosen> chosen = TableChoice.resolve(spec.tables(), contents.of(backup), graph);
        List<ArchiveGraph.Node> entries = new ArrayList<>();
        for (TableChoice.Chosen c : chosen) {
            ArchiveGraph.Node n = table(graph, c.relation());
            if (n == null) {
                throw new IllegalStateException("the archive holds no definition of table " + c.qualified());
            }
            entries.add(n);
        }
        Set<String> restoredNames = chosen.stream().map(TableChoice.Chosen::qualified).collect(Collectors.toSet());
        ArchiveSelection.Result selection;
        try (Connection target = clusters.connect(spec.targetCluster(), spec.targetDatabase())) {
            selection = ArchiveSelection.select(graph, entries, !spec.dataOnly(), !spec.schemaOnly(),
                    refs -> CatalogObjects.missing(target, refs));
        }
        if (!selection.missingTables().isEmpty()) {
            throw new IllegalStateException("the chosen tables need what database '" + spec.targetDatabase()
                    + "' lacks and the restore does not bring: " + String.join(", ", selection.missingTables())
                    + "; name those tables too");
        }
        chosen.stream().filter(c -> !c.named()).findAny().ifPresent(c -> context.log("pgvault: "
                + chosen.stream().filter(x -> !x.named()).count() + " partition(s) or inheritance child(ren) come with "
                + "the named tables"));
        if (!selection.broughtAlong().isEmpty()) {
            context.log("pgvault: the database lacks what the tables need; it comes along: "
                    + String.join(", ", selection.broughtAlong()));
        }
        selection.droppedForeignKeys().forEach(k -> context.log("pgvault: left out foreign key " + k
                + ": the table it references is not restored"));

        Map<String, Long> recorded = new LinkedHashMap<>();
        for (TableRows r : backups.awaitTableRows(backup.id())) {
            recorded.put(r.schema() + "." + r.table(), r.rows());
        }
        List<CheckedRestore.Count> counts = new ArrayList<>();
        if (!spec.schemaOnly()) {
            if (recorded.isEmpty()) {
                context.log("pgvault: no row counts were recorded when this backup was taken: the restored rows are "
                        + "counted, not compared");
            }
            for (TableChoice.Chosen c : chosen) {
                if (c.relation().kind().equals("table")) {
                    counts.add(new CheckedRestore.Count(sql(c.relation()), c.qualified(),
                            recorded.get(c.qualified())));
                }
            }
        }
        List<String> options = new ArrayList<>();
        if (spec.clean()) {
            options.addAll(List.of("--clean", "--if-exists"));
        }
        if (spec.noOwner()) {
            options.add("--no-owner");
        }
        if (spec.noPrivileges()) {
            options.add("--no-privileges");
        }
        context.phase("restoring " + chosen.size() + " table(s) in one transaction");
        Map<String, Long> rows = checked.run(session, spec.targetDatabase(), archive, selection.list(), work, counts,
                new CheckedRestore.Options(options, spec.dataOnly(), !spec.keepFailed(),
                        spec.dataOnly() ? Set.of() : selection.schemasToMake(graph)), context);
        List<Map<String, Object>> tables = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        for (TableChoice.Chosen c : chosen) {
            BackupContents.Relation r = c.relation();
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("table", c.qualified());
            t.put("kind", r.kind());
            if (rows.containsKey(c.qualified())) {
                t.put("rows", rows.get(c.qualified()));
            }
            if (recorded.containsKey(c.qualified())) {
                t.put("expectedRows", recorded.get(c.qualified()));
                if (rows.containsKey(c.qualified()) && !rows.get(c.qualified()).equals(recorded.get(c.qualified()))) {
                    wrong.add(c.qualified() + " has " + rows.get(c.qualified()) + " row(s), the source had "
                            + recorded.get(c.qualified()));
                }
            }
            if (r.parent() != null) {
                t.put("partitionOf", r.parent());
                t.put("partitionBound", r.partitionBound());
                t.put("attached", restoredNames.contains(r.parent()));
            }
            t.put("named", c.named());
            tables.add(t);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("tables", tables);
        result.put("broughtAlong", selection.broughtAlong());
        result.put("droppedForeignKeys", selection.droppedForeignKeys());
        context.result(json.writeValueAsString(result));
        if (!wrong.isEmpty()) {
            throw new CheckedRestore.RowCountsDiffer(CheckedRestore.DIFFERENCE + String.join(", ", wrong)
                    + " (kept, as keepFailed asked)");
        }
        context.log("pgvault: restored " + chosen.size() + " table(s); their row counts "
                + (recorded.isEmpty() ? "were counted" : "match the source at dump time"));
    }

    private static ArchiveGraph.Node table(ArchiveGraph graph, BackupContents.Relation r) {
        for (String desc : List.of("TABLE", "MATERIALIZED VIEW", "FOREIGN TABLE")) {
            ArchiveGraph.Node n = graph.find(desc, r.schema(), r.table());
            if (n != null) {
                return n;
            }
        }
        return null;
    }

    static String sql(BackupContents.Relation r) {
        return quote(r.schema()) + "." + quote(r.table());
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
