package io.pgvault.extraction;

import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.TableRows;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.copy.BackupSources;
import io.pgvault.job.Job;
import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.JobType;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import io.pgvault.recovery.RecoveredCopies;
import io.pgvault.storage.Workspace;
import io.pgvault.storage.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs a checked extraction. A scratch copy holds the source database as of the target: a server recovered
 * from the BASE backup and WAL ({@link BaseScratch}), or a scratch database that the DUMP's definitions and the
 * selection's rows are restored into ({@link DumpScratch}). There the selection takes its trees and is made
 * ready ({@link ScratchSelection}), pg_dump dumps it, and it goes into the destination in one transaction that
 * must find the source's row count in every table ({@link DestinationRestore}). The scratch copy goes whatever
 * happens; a destination database or schema that pgvault created goes again when the restore fails.
 */
@Component
class ExtractionHandler implements JobHandler<ExtractionPlan> {

    private static final Logger log = LoggerFactory.getLogger(ExtractionHandler.class);

    private final JsonMapper json;
    private final BackupCatalog backups;
    private final BackupSources sources;
    private final RecoveredCopies copies;
    private final ClusterAccess access;
    private final Workspace workspace;
    private final ProcessExecutor executor;
    private final BaseScratch baseScratch;
    private final DumpScratch dumpScratch;
    private final DestinationRestore destination;
    private final ExtractionUndo undo;

    ExtractionHandler(JsonMapper json, BackupCatalog backups, BackupSources sources, RecoveredCopies copies,
            ClusterAccess access, Workspace workspace, ProcessExecutor executor, BaseScratch baseScratch,
            DumpScratch dumpScratch, DestinationRestore destination, ExtractionUndo undo) {
        this.json = json;
        this.backups = backups;
        this.sources = sources;
        this.copies = copies;
        this.access = access;
        this.workspace = workspace;
        this.executor = executor;
        this.baseScratch = baseScratch;
        this.dumpScratch = dumpScratch;
        this.destination = destination;
        this.undo = undo;
    }

    @Override
    public JobType type() {
        return JobType.EXTRACTION;
    }

    @Override
    public Class<ExtractionPlan> payloadType() {
        return ExtractionPlan.class;
    }

    @Override
    public void run(JobContext context, ExtractionPlan plan) throws Exception {
        BackupView backup = sources.readable(backups.get(plan.backupId()), context);
        long began = System.nanoTime();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("source", plan.source());
        result.put("backupId", backup.id());
        if (plan.target() != null) {
            result.put("target", plan.target().toString());
        }
        result.put("database", plan.database());
        Map<String, Object> into = new LinkedHashMap<>();
        into.put("cluster", plan.intoCluster());
        into.put("database", plan.intoDatabase());
        into.put("schema", plan.intoSchema());
        result.put("into", into);
        context.log("pgvault: extracting " + describe(plan) + " of database '" + plan.database() + "' from "
                + plan.source() + " backup " + backup.id() + (plan.target() == null ? "" : " recovered to "
                + plan.target()) + " into " + where(plan));
        Path work = workspace.scratch("extraction");
        Scratch scratch = null;
        try {
            scratch = plan.fromDump() ? dumpScratch.open(plan, backup, work, context)
                    : baseScratch.open(plan, backup, context, result);
            double recovered = seconds(began);
            context.phase("preparing the selection in the scratch copy");
            ScratchSelection.Prepared prepared;
            try (Connection c = scratch.connect()) {
                prepared = ScratchSelection.prepare(c, plan, scratch.holdsAllRows(), context);
            }
            List<ScratchSelection.Selected> selection = prepared.selection();
            context.cancellation().throwIfCancelled();
            Path file = work.resolve("selection.dump");
            context.phase("dumping " + selection.size() + " table(s) from the scratch copy");
            long dumpStarted = System.nanoTime();
            dump(scratch, plan, file, prepared.rowsLeftBehind(), context);
            double dumped = seconds(dumpStarted);
            Map<String, Long> expected = expected(plan, backup, selection, context);
            long restoreStarted = System.nanoTime();
            DestinationRestore.Outcome outcome = destination.restore(plan, file, work, selection, expected,
                    context.cluster(), context);
            double restoredIn = seconds(restoreStarted);
            result.put("tables", tables(plan, selection, outcome.rows(), expected, context.cluster()));
            result.put("droppedForeignKeys", prepared.droppedForeignKeys());
            result.put("broughtAlong", outcome.broughtAlong());
            Map<String, Object> seconds = new LinkedHashMap<>();
            seconds.put(plan.fromDump() ? "scratchRestore" : "recovery", round(recovered));
            seconds.put("dump", round(dumped));
            seconds.put("restore", round(restoredIn));
            seconds.put("total", round(seconds(began)));
            result.put("seconds", seconds);
            context.result(json.writeValueAsString(result));
            context.log(String.format("pgvault: extracted %d table(s) into %s in %.3f s; their row counts match the "
                    + "source's", selection.size(), where(plan), seconds(began)));
        } catch (Exception e) {
            context.result(json.writeValueAsString(result));
            throw e;
        } finally {
            if (scratch != null) {
                scratch.remove(context);
            }
            try {
                FileTrees.delete(work);
            } catch (IOException e) {
                context.log("pgvault: could not remove " + work + ": " + e.getMessage());
            }
        }
    }

    /**
     * The scratch copy's database as pg_dump dumps it: every definition (what the selection needs is picked at
     * the destination) and only the selection's rows (a scratch database holds no others; a recovered server's
     * are excluded by name). Large objects only with a whole database.
     */
    private void dump(Scratch scratch, ExtractionPlan plan, Path file, List<String> leftBehind, JobContext context)
            throws Exception {
        List<String> argv = new ArrayList<>(List.of(scratch.tools().tool("pg_dump"), "--format=custom",
                "--no-password", "--file=" + file, "--no-publications", "--no-subscriptions"));
        if (!plan.wholeDatabase()) {
            argv.add("--no-blobs");
        }
        leftBehind.forEach(t -> argv.add("--exclude-table-data=" + t));
        executor.run(ProcessSpec.of(argv).environment(scratch.environment()).stderrLines(context::log),
                context.cancellation());
        context.log(String.format("pgvault: dumped the selection from the scratch copy: %d bytes", Files.size(file)));
    }

    /**
     * The rows each table must hold in the destination (by destination name): the counts a DUMP recorded in its
     * snapshot, else (a BASE extraction, or a dump taken before pgvault counted) the scratch copy's.
     */
    private Map<String, Long> expected(ExtractionPlan plan, BackupView backup,
            List<ScratchSelection.Selected> selection, JobContext context) {
        Map<String, Long> recorded = new LinkedHashMap<>();
        if (plan.fromDump()) {
            for (TableRows r : backups.awaitTableRows(backup.id())) {
                recorded.put(new Names.Qualified(r.schema(), r.table()).toString(), r.rows());
            }
            if (recorded.isEmpty()) {
                context.log("pgvault: the dump recorded no row counts: the rows are checked against the scratch "
                        + "database's");
            }
        }
        Map<String, Long> expected = new LinkedHashMap<>();
        for (ScratchSelection.Selected s : selection) {
            if (s.holdsRows()) {
                Long count = recorded.get(s.source().toString());
                expected.put(s.destination().toString(), count != null ? count : s.rows());
            }
        }
        return expected;
    }

    private List<Map<String, Object>> tables(ExtractionPlan plan, List<ScratchSelection.Selected> selection,
            Map<String, Long> rows, Map<String, Long> expected, String sourceCluster) throws SQLException {
        Set<String> sources = new HashSet<>();
        selection.forEach(s -> sources.add(s.source().toString()));
        List<Map<String, Object>> tables = new ArrayList<>();
        try (Connection live = plan.compare() ? access.connect(sourceCluster, plan.database()) : null) {
            for (ScratchSelection.Selected s : selection) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("table", s.source().toString());
                t.put("restoredAs", s.destination().toString());
                t.put("kind", s.kind());
                String to = s.destination().toString();
                if (rows.containsKey(to)) {
                    t.put("rows", rows.get(to));
                    t.put("expectedRows", expected.get(to));
                }
                if (live != null && s.holdsRows()) {
                    t.put("liveRows", countRows(live, s.source()));
                }
                if (s.parent() != null) {
                    t.put("partitionOf", s.parent());
                    t.put("partitionBound", s.bound());
                    t.put("attached", sources.contains(s.parent()));
                }
                if (!plan.tables().isEmpty()) {
                    t.put("named", s.named());
                }
                tables.add(t);
            }
        }
        return tables;
    }

    /** The table's row count, or null when it does not exist there. */
    private static Long countRows(Connection c, Names.Qualified table) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("select to_regclass(?) is not null")) {
            st.setString(1, table.sql());
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return null;
                }
            }
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select count(*) from " + table.sql())) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String describe(ExtractionPlan plan) {
        if (!plan.tables().isEmpty()) {
            return "table(s) " + plan.tables().stream().map(Names.Qualified::toString).collect(Collectors.joining(", "));
        }
        if (!plan.schemas().isEmpty()) {
            return "schema(s) " + String.join(", ", plan.schemas());
        }
        return "the whole database";
    }

    private static String where(ExtractionPlan plan) {
        return (plan.intoSchema() == null ? "" : "schema " + plan.intoSchema() + " of ") + "database '"
                + plan.intoDatabase() + "' on cluster '" + plan.intoCluster() + "'";
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static double round(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }

    @Override
    public void abandon(Job job, ExtractionPlan plan, String reason) {
        copies.removeLeftover(BaseScratch.COPY_PREFIX, job.getId(), line -> log.info("{}", line));
        try {
            if (plan != null && plan.fromDump()) {
                undo.dropDatabase(plan.intoCluster(), DumpScratch.databaseName(job.getId()));
            }
        } catch (Exception e) {
            log.warn("Could not remove the scratch database of extraction {}: {}", job.getId(), e.toString());
        }
    }
}
