package io.pgvault.verification;

import io.pgvault.backup.ArchiveGraph;
import io.pgvault.backup.ArchiveSelection;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.TableRows;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.SanityQuery;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import io.pgvault.process.ToolFailedException;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.Workspace;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.springframework.stereotype.Component;

/**
 * A restore drill of a DUMP backup: restore it into a scratch database {@code pgvault_drill_...} on the drill
 * cluster, demand every table's row count recorded from the source at dump time, run the source cluster's
 * sanity queries, and drop the scratch database whatever happened. The restore's wall time is the measured
 * RTO.
 */
@Component
class DumpDrill {

    private final BackupCatalog backups;
    private final ClusterAccess clusters;
    private final ClusterService clusterService;
    private final BackupStorage storage;
    private final Workspace workspace;
    private final ProcessExecutor executor;
    private final SecureRandom random = new SecureRandom();

    DumpDrill(BackupCatalog backups, ClusterAccess clusters, ClusterService clusterService, BackupStorage storage,
            Workspace workspace, ProcessExecutor executor) {
        this.backups = backups;
        this.clusters = clusters;
        this.clusterService = clusterService;
        this.storage = storage;
        this.workspace = workspace;
        this.executor = executor;
    }

    /** Runs the drill; returns the restore's duration in seconds (null when it did not get that far). */
    Double run(BackupView backup, String drillCluster, JobContext context, List<String> problems,
            List<String> findings) throws Exception {
        byte[] suffix = new byte[3];
        random.nextBytes(suffix);
        String scratch = "pgvault_drill_" + backup.id().toString().substring(0, 8) + "_" + HexFormat.of().formatHex(suffix);
        String maintenance = clusters.target(drillCluster).maintenanceDatabase();
        context.phase("creating scratch database " + scratch);
        execute(drillCluster, maintenance, "CREATE DATABASE " + scratch);
        context.log("pgvault: drill: created database " + scratch + " on cluster '" + drillCluster + "'");
        try {
            long started = System.nanoTime();
            try (ToolSession session = clusters.toolSession(drillCluster)) {
                context.phase("restoring into " + scratch);
                restore(backup, session, scratch, context);
            } catch (ToolFailedException e) {
                problems.add("the restore into a scratch database failed: " + e.getMessage());
                return null;
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            findings.add(String.format("restored into a scratch database on cluster '%s' in %.3f s", drillCluster,
                    seconds));
            context.phase("comparing row counts");
            compareRows(backup, drillCluster, scratch, problems, findings);
            context.phase("running sanity queries");
            sanity(backup.cluster(), backup.database(), drillCluster, scratch, problems, findings);
            return seconds;
        } finally {
            context.phase("dropping scratch database " + scratch);
            try {
                drop(drillCluster, maintenance, scratch);
                context.log("pgvault: drill: dropped database " + scratch);
            } catch (SQLException e) {
                context.log("pgvault: drill: COULD NOT DROP the scratch database " + scratch + " on cluster '"
                        + drillCluster + "': " + e.getMessage() + "; drop it by hand");
            }
        }
    }

    private void restore(BackupView backup, ToolSession session, String scratch, JobContext context)
            throws Exception {
        if (backup.format().isArchive()) {
            try (Workspace.LocalCopy file = workspace.materialize(backup.repository(), backup.location(),
                    backup.mainFile())) {
                List<String> argv = new ArrayList<>(List.of(session.tool("pg_restore"), "--no-password",
                        "--exit-on-error", "--no-owner", "--no-privileges", "--dbname=" + scratch));
                Path list = null;
                if (!backup.spec().tables().isEmpty()) {
                    // a dump of named tables holds no schemas, and a partition named alone an attach to a parent
                    // it does not hold: the drill restores what such a dump can restore on its own
                    ArchiveSelection.Alone alone = ArchiveSelection.alone(ArchiveGraph.read(executor,
                            session.tool("pg_restore"), session.environment(null), file.path(),
                            context.cancellation()));
                    for (String schema : alone.schemas()) {
                        execute(drillCluster(session), scratch, "CREATE SCHEMA IF NOT EXISTS "
                                + quote(schema));
                    }
                    list = workspace.scratch("drill").resolve("drill.list");
                    Files.writeString(list, alone.list());
                    argv.add("--use-list=" + list);
                }
                argv.add(file.path().toString());
                try {
                    executor.run(ProcessSpec.of(argv).environment(session.environment(null))
                            .stderrLines(context::log), context.cancellation());
                } finally {
                    if (list != null) {
                        io.pgvault.storage.FileTrees.delete(list.getParent());
                    }
                }
            }
            return;
        }
        List<String> argv = List.of(session.tool("psql"), "--no-psqlrc", "--no-password", "--quiet",
                "--set=ON_ERROR_STOP=1", "--dbname=" + scratch);
        try (InputStream stored = storage.open(backup.repository(), backup.location(), backup.mainFile());
                InputStream sql = backup.spec().compressed() ? new GZIPInputStream(stored, 256 * 1024) : stored) {
            executor.run(ProcessSpec.of(argv).environment(session.environment(null)).stdin(sql)
                    .stdout(java.io.OutputStream.nullOutputStream()).stderrLines(context::log), context.cancellation());
        }
    }

    private void compareRows(BackupView backup, String drillCluster, String scratch, List<String> problems,
            List<String> findings) throws SQLException {
        List<TableRows> recorded = backups.awaitTableRows(backup.id());
        if (recorded.isEmpty()) {
            findings.add("no row counts were recorded when this backup was taken, so none were compared");
            return;
        }
        int compared = 0;
        int skipped = 0;
        List<String> wrong = new ArrayList<>();
        try (Connection c = clusters.connect(drillCluster, scratch);
                PreparedStatement exists = c.prepareStatement("select format('%I.%I', ?::text, ?::text), "
                        + "to_regclass(format('%I.%I', ?::text, ?::text)) is not null")) {
            for (TableRows t : recorded) {
                exists.setString(1, t.schema());
                exists.setString(2, t.table());
                exists.setString(3, t.schema());
                exists.setString(4, t.table());
                String name;
                boolean present;
                try (ResultSet rs = exists.executeQuery()) {
                    rs.next();
                    name = rs.getString(1);
                    present = rs.getBoolean(2);
                }
                if (!present) {
                    // left out of the dump by its table or schema filters
                    skipped++;
                    continue;
                }
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select count(*) from " + name)) {
                    rs.next();
                    long rows = rs.getLong(1);
                    compared++;
                    if (rows != t.rows()) {
                        wrong.add(name + " has " + rows + " row(s), the source had " + t.rows());
                    }
                }
            }
        }
        if (!wrong.isEmpty()) {
            problems.add("row counts differ from the source at dump time: " + String.join(", ", wrong));
        } else {
            findings.add("row counts of " + compared + " table(s) match the source at dump time"
                    + (skipped == 0 ? "" : " (" + skipped + " table(s) outside the dump's filters)"));
        }
    }

    private void sanity(String sourceCluster, String database, String drillCluster, String scratch,
            List<String> problems, List<String> findings) {
        List<SanityQuery> queries = clusterService.get(sourceCluster).sanityQueries().stream()
                .filter(q -> q.database() == null || q.database().equals(database)).toList();
        SanityChecks.run(queries, q -> scratch, db -> clusters.connect(drillCluster, db), problems, findings);
    }

    /** DROP ... WITH (FORCE) from PostgreSQL 13 on; before that, end the sessions first. */
    private void drop(String cluster, String maintenance, String scratch) throws SQLException {
        try (Connection c = clusters.connect(cluster, maintenance); Statement st = c.createStatement()) {
            if (c.getMetaData().getDatabaseMajorVersion() >= 13) {
                st.execute("DROP DATABASE IF EXISTS " + scratch + " WITH (FORCE)");
            } else {
                st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + scratch + "'");
                st.execute("DROP DATABASE IF EXISTS " + scratch);
            }
        }
    }

    private static String drillCluster(ToolSession session) {
        return session.target().name();
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private void execute(String cluster, String database, String sql) throws SQLException {
        try (Connection c = clusters.connect(cluster, database); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
