package io.pgvault.backup.logical;

import io.pgvault.PgvaultProperties;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupRunner;
import io.pgvault.backup.DumpAllSpec;
import io.pgvault.backup.DumpSpec;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.DumpFormat;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterTarget;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessResult;
import io.pgvault.process.ProcessSpec;
import io.pgvault.storage.HashingOutputStream;
import io.pgvault.storage.StagingArea;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.springframework.stereotype.Component;

/**
 * pg_dump and pg_dumpall. The tool writes its output file (or directory) in the staging area itself
 * and sealing hashes it; only a gzip-compressed pg_dumpall streams through pgvault, which compresses
 * and hashes it on the way to storage.
 */
@Component
class LogicalBackupRunner implements BackupRunner {

    private static final Pattern TABLE = Pattern.compile("dumping contents of table \"(.+)\"");
    private static final Pattern DATABASE = Pattern.compile("pg_dumpall: .*dumping database \"(.+)\"");
    /** How long a count after the dump waits for a table's lock before it leaves that table out. */
    private static final Duration COUNT_LOCK_TIMEOUT = Duration.ofSeconds(30);

    private final ClusterAccess clusters;
    private final ProcessExecutor executor;
    private final boolean countRows;

    LogicalBackupRunner(ClusterAccess clusters, ProcessExecutor executor, PgvaultProperties properties) {
        this.clusters = clusters;
        this.executor = executor;
        this.countRows = properties.drills().countRows();
    }

    @Override
    public Set<BackupKind> kinds() {
        return Set.of(BackupKind.DUMP, BackupKind.DUMP_ALL);
    }

    @Override
    public Versions versions(BackupView backup) {
        ClusterTarget target = clusters.target(backup.cluster());
        return new Versions(target.serverVersion(), target.tools().version());
    }

    @Override
    public Result run(BackupView backup, StagingArea area, JobContext context) throws Exception {
        try (ToolSession session = clusters.toolSession(backup.cluster())) {
            boolean all = backup.kind() == BackupKind.DUMP_ALL;
            Path target = area.directory().resolve(backup.mainFile());
            boolean gzipHere = all && backup.spec().compressed();
            // SQL goes to stdout and from there straight to a repository that is not local disk: no local copy.
            // Archive formats keep being written to a file (pg_dump seeks in it) and are uploaded afterwards.
            boolean stream = area.streamsToRepository() && (all || backup.format() == DumpFormat.PLAIN);
            if (!all) {
                Result made = dump(backup, area, session, stream ? null : target, context);
                try {
                    session.close();
                } catch (RuntimeException e) {
                    if (made.laterRows() != null) {
                        made.laterRows().close();
                    }
                    throw e;
                }
                return made;
            }
            List<String> argv = DumpCommand.pgDumpAll(session.tool("pg_dumpall"), (DumpAllSpec) backup.spec(),
                    gzipHere || stream ? null : target);
            ProcessSpec spec = ProcessSpec.of(argv)
                    .environment(session.environment(null))
                    .stderrLines(line -> onStderr(line, context));
            context.phase("dumping cluster");
            if (stream && !gzipHere) {
                context.log("pgvault: streaming the dump to repository '" + backup.repository() + "'");
                try (HashingOutputStream file = area.create(backup.mainFile(), context::bytesDone)) {
                    logDuration(context, executor.run(spec.stdout(file), context.cancellation()));
                }
                return Result.NONE;
            }
            if (!gzipHere) {
                area.reserve(backup.mainFile());
                context.progress(() -> sizeOf(target));
                logDuration(context, executor.run(spec, context.cancellation()));
                return Result.NONE;
            }
            try (HashingOutputStream file = area.create(backup.mainFile(), context::bytesDone);
                    GZIPOutputStream gzip = gzip(file, backup.spec().compression())) {
                logDuration(context, executor.run(spec.stdout(gzip), context.cancellation()));
                gzip.finish();
            }
            return Result.NONE;
        }
    }

    /**
     * pg_dump of one database into {@code target}, or streamed to the repository when {@code target} is null. A
     * result that owns the dump's snapshot (its counts come later) is closed here if anything fails on the way
     * out, such as closing the upload's stream or the tool session: nothing else would end that snapshot.
     */
    private Result dump(BackupView backup, StagingArea area, ToolSession session, Path target, JobContext context)
            throws Exception {
        Result made = null;
        try {
            if (target == null) {
                context.log("pgvault: streaming the dump to repository '" + backup.repository() + "'");
                try (HashingOutputStream file = area.create(backup.mainFile(), context::bytesDone)) {
                    made = dumpCounted(backup, session, null, file, context);
                }
            } else {
                if (backup.format() != DumpFormat.DIRECTORY) {
                    area.reserve(backup.mainFile());
                }
                made = dumpCounted(backup, session, target, null, context);
            }
            return made;
        } catch (Throwable e) {
            if (made != null && made.laterRows() != null) {
                made.laterRows().close();
            }
            throw e;
        }
    }

    /**
     * pg_dump of one database, reading a snapshot pgvault exported and holds open. In that snapshot pgvault first
     * resolves the dump's filters as pg_dump does and adds the partitions and inheritance children of the tables
     * they name ({@link DumpSelection}). Once the tool has ended, the same snapshot counts the rows of every table
     * the dump takes, filtered or not ({@link SnapshotCounts}), so a restore drill (and a table-filtered restore)
     * can later demand exactly those counts; the backup job does that after it has stored the dump. An archive's
     * table of contents has the last word on which tables hold rows ({@code BackupJobHandler}). A schema-only or
     * data-only dump counts nothing.
     */
    private Result dumpCounted(BackupView backup, ToolSession session, Path target, java.io.OutputStream stdout,
            JobContext context) throws Exception {
        DumpSpec s = (DumpSpec) backup.spec();
        boolean count = countRows && !s.schemaOnly() && !s.dataOnly();
        Connection snapshot = clusters.connect(backup.cluster(), backup.database());
        boolean handedOver = false;
        try {
            try (Statement st = snapshot.createStatement()) {
                // the server's own limits must not end the snapshot while pg_dump reads it; the counts later run in
                // one backend, as background work should
                st.execute("set idle_in_transaction_session_timeout = 0; set statement_timeout = 0; "
                        + "set lock_timeout = 0; set max_parallel_workers_per_gather = 0");
            }
            snapshot.setAutoCommit(false);
            snapshot.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            String id;
            try (Statement st = snapshot.createStatement(); ResultSet rs = st.executeQuery("select pg_export_snapshot()")) {
                rs.next();
                id = rs.getString(1);
            }
            DumpSelection selection;
            SnapshotCounts counts;
            try {
                selection = DumpSelection.resolve(snapshot, s);
                counts = count ? SnapshotCounts.prepare(snapshot, selection.counted(), COUNT_LOCK_TIMEOUT) : null;
            } catch (SQLException e) {
                // without it a filter would leave partitions out unseen: no dump rather than a short one
                throw new IllegalStateException("could not resolve which tables the dump takes: " + e.getMessage(),
                        e);
            }
            selection.notes().forEach(context::log);
            ProcessSpec spec = ProcessSpec.of(DumpCommand.pgDump(session.tool("pg_dump"), s, target, id,
                    selection.arguments()))
                    .environment(session.environment(backup.database()))
                    .stderrLines(line -> onStderr(line, context));
            context.phase("dumping database");
            if (stdout != null) {
                spec = spec.stdout(stdout);
            } else {
                // The tool writes the file itself: no pipe between it and the disk, and custom-format archives get
                // their data offsets (which parallel pg_restore wants). Sealing hashes it.
                context.progress(() -> sizeOf(target));
            }
            logDuration(context, executor.run(spec, context.cancellation()));
            if (counts == null) {
                return Result.NONE;
            }
            handedOver = true;
            return Result.countedLater(counts);
        } finally {
            if (!handedOver) {
                try {
                    snapshot.rollback();
                    snapshot.close();
                } catch (SQLException e) {
                    // the dump's own outcome (a failure, a cancellation) is what the job reports
                    context.log("pgvault: closing the snapshot: " + e.getMessage());
                }
            }
        }
    }

    private static long sizeOf(Path path) {
        try (Stream<Path> files = Files.isDirectory(path) ? Files.walk(path) : Stream.of(path)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }

    private static void logDuration(JobContext context, ProcessResult result) {
        context.log(String.format("pgvault: the dump tool ran for %.3f s", result.duration().toNanos() / 1e9));
    }

    private static void onStderr(String line, JobContext context) {
        context.log(line);
        Matcher table = TABLE.matcher(line);
        if (table.find()) {
            context.phase("dumping table " + table.group(1));
            return;
        }
        Matcher database = DATABASE.matcher(line);
        if (database.find()) {
            context.phase("dumping database " + database.group(1));
        }
    }

    private static GZIPOutputStream gzip(OutputStream out, int level) throws IOException {
        return new GZIPOutputStream(out, 256 * 1024) {
            {
                def.setLevel(level);
            }
        };
    }
}
