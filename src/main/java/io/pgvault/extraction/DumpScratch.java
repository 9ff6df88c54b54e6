package io.pgvault.extraction;

import io.pgvault.backup.ArchiveGraph;
import io.pgvault.backup.ArchiveSelection;
import io.pgvault.backup.BackupView;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import io.pgvault.storage.Workspace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * The scratch copy of a DUMP extraction: a database {@code pgvault_extract_<job>} on the destination cluster that
 * gets the dump's definitions, then the rows of the selection and its trees (found in the restored catalog), then
 * the selected tables' foreign keys ({@link ScratchList}). No server is recovered.
 */
@Component
class DumpScratch {

    static final String DATABASE_PREFIX = "pgvault_extract_";

    private final ClusterAccess access;
    private final Workspace workspace;
    private final ProcessExecutor executor;
    private final ExtractionUndo undo;

    DumpScratch(ClusterAccess access, Workspace workspace, ProcessExecutor executor, ExtractionUndo undo) {
        this.access = access;
        this.workspace = workspace;
        this.executor = executor;
        this.undo = undo;
    }

    static String databaseName(UUID jobId) {
        return DATABASE_PREFIX + jobId.toString().replace("-", "");
    }

    Scratch open(ExtractionPlan plan, BackupView backup, Path work, JobContext context) throws Exception {
        String name = databaseName(context.jobId());
        ToolSession session = access.toolSession(plan.intoCluster());
        try {
            context.phase("creating scratch database " + name);
            undo.execute(plan.intoCluster(), null, "CREATE DATABASE " + Names.quote(name) + " TEMPLATE template0");
            context.log("pgvault: created scratch database " + name + " on cluster '" + plan.intoCluster() + "'");
        } catch (SQLException | RuntimeException e) {
            session.close();
            throw e;
        }
        Scratch scratch = new Scratch() {
            @Override
            public Connection connect() throws SQLException {
                return access.connect(plan.intoCluster(), name);
            }

            @Override
            public ToolSession tools() {
                return session;
            }

            @Override
            public Map<String, String> environment() {
                return session.environment(name);
            }

            @Override
            public boolean holdsAllRows() {
                return false;
            }

            @Override
            public void remove(JobContext context) {
                context.phase("dropping scratch database " + name);
                try {
                    undo.dropDatabase(plan.intoCluster(), name);
                    context.log("pgvault: dropped scratch database " + name);
                } catch (SQLException | RuntimeException e) {
                    context.log("pgvault: COULD NOT DROP the scratch database " + name + " on cluster '"
                            + plan.intoCluster() + "': " + e.getMessage() + "; drop it by hand");
                } finally {
                    session.close();
                }
            }
        };
        try {
            if (!workspace.storesInPlace(backup.repository())) {
                context.phase("downloading the dump from repository '" + backup.repository() + "'");
            }
            try (Workspace.LocalCopy file = workspace.materialize(backup.repository(), backup.location(),
                    backup.mainFile())) {
                restore(plan, backup, name, file.path(), work, session, scratch, context);
            }
            return scratch;
        } catch (Exception e) {
            scratch.remove(context);
            throw e;
        }
    }

    private void restore(ExtractionPlan plan, BackupView backup, String name, Path archive, Path work,
            ToolSession session, Scratch scratch, JobContext context) throws Exception {
        ArchiveGraph graph = ArchiveGraph.read(executor, session.tool("pg_restore"), session.environment(null),
                archive, context.cancellation());
        List<String> argv = new ArrayList<>(List.of(session.tool("pg_restore"), "--no-password",
                "--dbname=" + ToolSession.conninfo(name)));
        if (!plan.intoCluster().equals(backup.cluster())) {
            argv.addAll(List.of("--no-owner", "--no-privileges"));
        }
        for (String schema : ArchiveSelection.alone(graph).schemas()) {
            // a dump of named tables holds no schemas
            undo.execute(plan.intoCluster(), name, "CREATE SCHEMA IF NOT EXISTS " + Names.quote(schema));
        }
        context.phase("restoring the dump's definitions into " + name);
        run(argv, List.of("--section=pre-data", "--exit-on-error"), work.resolve("scratch-definitions.list"),
                ScratchList.definitions(graph, plan.wholeDatabase()), archive, session, context, false);
        Set<Names.Qualified> chosen;
        try (Connection c = scratch.connect()) {
            chosen = ScratchSelection.names(c, plan);
        }
        context.phase("restoring the selection's rows into " + name);
        run(argv, List.of("--section=data", "--section=post-data", "--exit-on-error"),
                work.resolve("scratch-rows.list"), ScratchList.rows(graph, plan.wholeDatabase(), chosen), archive,
                session, context, false);
        String keys = ScratchList.keys(graph, plan.wholeDatabase(), chosen);
        if (!keys.isEmpty()) {
            run(argv, List.of(), work.resolve("scratch-keys.list"), keys, archive, session, context, true);
        }
    }

    private void run(List<String> base, List<String> options, Path list, String entries, Path archive,
            ToolSession session, JobContext context, boolean tolerant) throws Exception {
        Files.writeString(list, entries, StandardCharsets.UTF_8);
        List<String> argv = new ArrayList<>(base);
        argv.addAll(options);
        argv.addAll(List.of("--use-list=" + list, archive.toString()));
        ProcessSpec spec = ProcessSpec.of(argv).environment(session.environment(null));
        if (tolerant) {
            // a key to a table whose rows were left out fails its check: it stays out
            spec = spec.okExitCodes(0, 1).stderrLines(line -> context.log(line.replace("pg_restore: error:",
                    "pg_restore: (left out)")));
        } else {
            spec = spec.stderrLines(context::log);
        }
        executor.run(spec, context.cancellation());
    }
}
