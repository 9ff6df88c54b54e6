package io.pgvault.verification;

import io.pgvault.backup.BackupView;
import io.pgvault.backup.physical.BaseBackupArchive;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import io.pgvault.job.ProcessExecutor;
import io.pgvault.job.ProcessSpec;
import io.pgvault.job.ToolFailedException;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.FileTrees;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * LIST for a BASE backup: extract it into a scratch directory and let pg_verifybackup check every file
 * against the stored manifest (sizes and checksums) and parse the WAL the backup needs. PostgreSQL 15's
 * pg_verifybackup reads plain directories only, hence the extraction.
 */
@Component
class BaseBackupCheck {

    private final BaseBackupArchive archive;
    private final BackupStorage storage;
    private final ClusterAccess clusters;
    private final ProcessExecutor executor;

    BaseBackupCheck(BaseBackupArchive archive, BackupStorage storage, ClusterAccess clusters, ProcessExecutor executor) {
        this.archive = archive;
        this.storage = storage;
        this.clusters = clusters;
        this.executor = executor;
    }

    void check(BackupView backup, JobContext context, List<String> problems, List<String> findings) throws Exception {
        Path scratch = storage.scratch("verify-" + backup.id());
        try (ToolSession session = clusters.toolSession(backup.cluster())) {
            context.phase("extracting into a scratch directory");
            long total = BaseBackupArchive.storedBytes(backup);
            archive.extract(backup, scratch, context.cancellation(), done -> context.bytes(done, total));
            context.phase("pg_verifybackup");
            Path manifest = storage.localPath(backup.location()).resolve("backup_manifest");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            executor.run(ProcessSpec.of(List.of(session.tool("pg_verifybackup"), "--manifest-path=" + manifest,
                            scratch.toString()))
                    .environment(Map.of("PATH", "/usr/bin:/bin", "LC_ALL", "C.UTF-8"))
                    .stdout(out).stderrLines(context::log), context.cancellation());
            out.toString(StandardCharsets.UTF_8).lines().forEach(context::log);
            findings.add("pg_verifybackup: every file matches the manifest and the WAL from " + backup.startLsn()
                    + " to " + backup.stopLsn() + " parses");
        } catch (ToolFailedException e) {
            problems.add(e.getMessage());
        } catch (IOException e) {
            problems.add("the backup could not be extracted: " + e.getMessage());
        } finally {
            FileTrees.delete(scratch);
        }
    }
}
