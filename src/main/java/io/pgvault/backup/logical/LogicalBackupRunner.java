package io.pgvault.backup.logical;

import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupRunner;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.DumpFormat;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterTarget;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import io.pgvault.job.ProcessExecutor;
import io.pgvault.job.ProcessSpec;
import io.pgvault.storage.HashingOutputStream;
import io.pgvault.storage.StagingArea;
import java.io.OutputStream;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.springframework.stereotype.Component;

/**
 * pg_dump and pg_dumpall. Single-file outputs stream from the tool's stdout straight into storage,
 * hashed and counted on the way; DIRECTORY dumps are written by pg_dump and hashed when sealed.
 */
@Component
class LogicalBackupRunner implements BackupRunner {

    private static final Pattern TABLE = Pattern.compile("dumping contents of table \"(.+)\"");
    private static final Pattern DATABASE = Pattern.compile("pg_dumpall: .*dumping database \"(.+)\"");

    private final ClusterAccess clusters;
    private final ProcessExecutor executor;

    LogicalBackupRunner(ClusterAccess clusters, ProcessExecutor executor) {
        this.clusters = clusters;
        this.executor = executor;
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
    public void run(BackupView backup, StagingArea area, JobContext context) throws Exception {
        try (ToolSession session = clusters.toolSession(backup.cluster())) {
            boolean all = backup.kind() == BackupKind.DUMP_ALL;
            List<String> argv = all ? DumpCommand.pgDumpAll(session.tool("pg_dumpall"), backup.spec())
                    : DumpCommand.pgDump(session.tool("pg_dump"), backup.spec(), area.directory().resolve(backup.mainFile()));
            ProcessSpec spec = ProcessSpec.of(argv)
                    .environment(session.environment(all ? null : backup.database()))
                    .stderrLines(line -> onStderr(line, context));
            context.phase(all ? "dumping cluster" : "dumping database");
            if (!all && backup.format() == DumpFormat.DIRECTORY) {
                executor.run(spec, context.cancellation());
                return;
            }
            try (HashingOutputStream file = area.create(backup.mainFile(), context::bytesDone)) {
                OutputStream sink = all && backup.spec().compressed() ? gzip(file, backup.spec().compression()) : file;
                executor.run(spec.stdout(sink), context.cancellation());
                if (sink != file) {
                    ((GZIPOutputStream) sink).finish();
                }
            }
        }
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

    private static GZIPOutputStream gzip(OutputStream out, int level) throws java.io.IOException {
        return new GZIPOutputStream(out, 256 * 1024) {
            {
                def.setLevel(level == 0 ? Deflater.DEFAULT_COMPRESSION : level);
            }
        };
    }
}
