package io.pgvault.restore;

import io.pgvault.backup.ArchiveGraph;
import io.pgvault.backup.ArchiveSelection;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupView;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.JobType;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import io.pgvault.storage.Workspace;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.springframework.stereotype.Component;

/**
 * Restores a logical backup: pg_restore for archive formats, psql for PLAIN SQL and cluster dumps.
 * Warnings stay in the job log; errors fail the job.
 */
@Component
class RestoreHandler implements JobHandler<RestoreSpec> {

    private static final Pattern PROCESSING = Pattern.compile("pg_restore: (?:processing data for table|creating [A-Z ]+) \"?(.+?)\"?$");
    private static final Pattern PSQL_ERROR = Pattern.compile("ERROR:\\s+(.*)$");
    private static final Pattern EXPECTED_IN_CLUSTER_DUMP = Pattern.compile("role \".*\" already exists");

    private final BackupCatalog backups;
    private final ClusterAccess clusters;
    private final Workspace workspace;
    private final ProcessExecutor executor;

    private final io.pgvault.copy.BackupSources sources;
    private final TableRestore tableRestore;

    RestoreHandler(BackupCatalog backups, ClusterAccess clusters, Workspace workspace, ProcessExecutor executor,
            io.pgvault.copy.BackupSources sources, TableRestore tableRestore) {
        this.sources = sources;
        this.tableRestore = tableRestore;
        this.backups = backups;
        this.clusters = clusters;
        this.workspace = workspace;
        this.executor = executor;
    }

    @Override
    public JobType type() {
        return JobType.RESTORE;
    }

    @Override
    public Class<RestoreSpec> payloadType() {
        return RestoreSpec.class;
    }

    @Override
    public void run(JobContext context, RestoreSpec spec) throws Exception {
        BackupView backup = sources.readable(backups.get(context.backupId()), context);
        if (!workspace.storesInPlace(backup.repository())) {
            context.phase("downloading from repository '" + backup.repository() + "'");
        }
        // a backup in a repository that is not local disk (or is encrypted) is downloaded, and so read whole and
        // authenticated, before anything is written to the target: a damaged or unreadable file restores nothing
        try (ToolSession session = clusters.toolSession(spec.targetCluster());
                Workspace.LocalCopy file = workspace.materialize(backup.repository(), backup.location(),
                        backup.mainFile())) {
            if (backup.kind() == BackupKind.DUMP_ALL) {
                replayClusterDump(backup, file.path(), session, context);
                return;
            }
            if (spec.createDatabase()) {
                context.phase("creating database");
                createDatabase(spec);
                context.log("pgvault: created database \"" + spec.targetDatabase() + "\"");
            }
            if (backup.format().isArchive() && !spec.tables().isEmpty()) {
                restoreTables(backup, spec, file.path(), session, context);
            } else if (backup.format().isArchive()) {
                pgRestore(backup, file.path(), spec, session, context);
            } else {
                replayScript(backup, file.path(), session, ToolSession.conninfo(spec.targetDatabase()), true, context);
            }
        }
    }

    /**
     * Some tables, whole and checked ({@link TableRestore}); a database this restore created goes again when it
     * fails, unless the request keeps it.
     */
    private void restoreTables(BackupView backup, RestoreSpec spec, java.nio.file.Path file, ToolSession session,
            JobContext context) throws Exception {
        java.nio.file.Path work = workspace.scratch("restore");
        try {
            tableRestore.run(backup, spec, file, work, session, context);
        } catch (Exception e) {
            if (spec.createDatabase() && !spec.keepFailed()) {
                try {
                    dropDatabase(spec);
                    context.log("pgvault: dropped database \"" + spec.targetDatabase() + "\", which this restore "
                            + "created: nothing of it stays behind");
                } catch (Exception notDropped) {
                    context.log("pgvault: could not drop database \"" + spec.targetDatabase() + "\", which this "
                            + "restore created: " + notDropped.getMessage());
                }
            }
            throw e;
        } finally {
            io.pgvault.storage.FileTrees.delete(work);
        }
    }

    private void dropDatabase(RestoreSpec spec) throws Exception {
        String maintenance = clusters.target(spec.targetCluster()).maintenanceDatabase();
        try (Connection conn = clusters.connect(spec.targetCluster(), maintenance);
                Statement st = conn.createStatement()) {
            boolean force = conn.getMetaData().getDatabaseMajorVersion() >= 13;
            st.execute("DROP DATABASE IF EXISTS " + quoteIdentifier(spec.targetDatabase()) + (force ? " WITH (FORCE)"
                    : ""));
        }
    }

    private void pgRestore(BackupView backup, java.nio.file.Path file, RestoreSpec spec, ToolSession session,
            JobContext context)
            throws Exception {
        List<String> argv = new ArrayList<>(List.of(session.tool("pg_restore"), "--verbose", "--no-password",
                "--dbname=" + ToolSession.conninfo(spec.targetDatabase())));
        if (spec.clean()) {
            argv.add("--clean");
            argv.add("--if-exists");
        }
        if (spec.noOwner()) {
            argv.add("--no-owner");
        }
        if (spec.noPrivileges()) {
            argv.add("--no-privileges");
        }
        if (spec.jobs() != null) {
            argv.add("--jobs=" + spec.jobs());
        }
        if (spec.schemaOnly()) {
            argv.add("--schema-only");
        }
        if (spec.dataOnly()) {
            argv.add("--data-only");
        }
        java.nio.file.Path work = null;
        if (!backup.spec().tables().isEmpty()) {
            // a dump of named tables holds no schemas, and a partition named alone an attach to a parent it does
            // not hold: what such a dump restores on its own, with its schemas made first
            ArchiveSelection.Alone alone = ArchiveSelection.alone(ArchiveGraph.read(executor,
                    session.tool("pg_restore"), session.environment(null), file, context.cancellation()));
            for (String schema : alone.schemas()) {
                execute(spec, "CREATE SCHEMA IF NOT EXISTS " + quoteIdentifier(schema));
            }
            work = workspace.scratch("restore");
            java.nio.file.Path list = work.resolve("restore.list");
            java.nio.file.Files.writeString(list, alone.list());
            argv.add("--use-list=" + list);
        }
        argv.add(file.toString());
        context.phase("restoring");
        try {
            executor.run(ProcessSpec.of(argv).environment(session.environment(null)).stderrLines(line -> {
                context.log(line);
                Matcher m = PROCESSING.matcher(line);
                if (m.find()) {
                    context.phase("restoring " + m.group(1));
                }
            }), context.cancellation());
        } finally {
            if (work != null) {
                io.pgvault.storage.FileTrees.delete(work);
            }
        }
    }

    private void execute(RestoreSpec spec, String sql) throws Exception {
        try (Connection conn = clusters.connect(spec.targetCluster(), spec.targetDatabase());
                Statement st = conn.createStatement()) {
            st.execute(sql);
        }
    }

    private void replayClusterDump(BackupView backup, java.nio.file.Path file, ToolSession session,
            JobContext context) throws Exception {
        replayScript(backup, file, session, ToolSession.conninfo(session.target().maintenanceDatabase()), false, context);
    }

    /** Feeds a SQL script to psql. Cluster dumps may meet roles that exist already: only that error is tolerated. */
    private void replayScript(BackupView backup, java.nio.file.Path file, ToolSession session, String conninfo,
            boolean stopOnError,
            JobContext context) throws Exception {
        List<String> errors = new ArrayList<>();
        List<String> argv = new ArrayList<>(List.of(session.tool("psql"), "--no-psqlrc", "--no-password", "--quiet",
                "--dbname=" + conninfo));
        if (stopOnError) {
            argv.add("--set=ON_ERROR_STOP=1");
        }
        context.phase("replaying SQL");
        long total = backup.sizeBytes() == null ? 0 : backup.sizeBytes();
        try (InputStream raw = java.nio.file.Files.newInputStream(file);
                InputStream counted = new Counting(raw, n -> context.bytes(n, total));
                InputStream in = backup.mainFile().endsWith(".gz") ? new GZIPInputStream(counted, 256 * 1024) : counted) {
            executor.run(ProcessSpec.of(argv).environment(session.environment(null)).stdin(in).stderrLines(line -> {
                context.log(line);
                Matcher m = PSQL_ERROR.matcher(line);
                if (m.find() && !(backup.kind() == BackupKind.DUMP_ALL
                        && EXPECTED_IN_CLUSTER_DUMP.matcher(m.group(1)).find())) {
                    errors.add(m.group(1));
                }
            }), context.cancellation());
        }
        if (!errors.isEmpty()) {
            throw new IllegalStateException(errors.size() + " error(s) while replaying the SQL; first: "
                    + errors.get(0));
        }
    }

    private void createDatabase(RestoreSpec spec) throws Exception {
        String maintenance = clusters.target(spec.targetCluster()).maintenanceDatabase();
        try (Connection conn = clusters.connect(spec.targetCluster(), maintenance);
                Statement st = conn.createStatement()) {
            st.execute("CREATE DATABASE " + quoteIdentifier(spec.targetDatabase()));
        }
    }

    static String quoteIdentifier(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** Counts the bytes read through it. */
    private static final class Counting extends FilterInputStream {
        private final java.util.function.LongConsumer progress;
        private long count;

        Counting(InputStream in, java.util.function.LongConsumer progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                progress.accept(++count);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
                progress.accept(count);
            }
            return n;
        }
    }
}
