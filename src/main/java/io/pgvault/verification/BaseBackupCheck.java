package io.pgvault.verification;

import io.pgvault.backup.BackupView;
import io.pgvault.backup.physical.BaseBackupArchive;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.PostgresTools;
import io.pgvault.cluster.ServerInfo;
import io.pgvault.job.JobContext;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import io.pgvault.process.ToolFailedException;
import io.pgvault.storage.Workspace;
import io.pgvault.storage.FileTrees;
import io.pgvault.wal.BrokenWalException;
import io.pgvault.wal.WalContinuity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * LIST for a BASE backup: extract it into a scratch directory and let pg_verifybackup check every file
 * against the stored manifest (sizes and checksums) and parse the WAL the backup needs. PostgreSQL 15's
 * pg_verifybackup reads plain directories only, hence the extraction. WAL is parsed by the pg_waldump of
 * pg_verifybackup's own major, and every major changes the WAL format: a backup of an older server than its
 * tools (a PostgreSQL 13 server protected with 15's tools) is checked with {@code --no-parse-wal} and
 * pgvault's own {@link WalContinuity} walk instead, unless tools of the backup's own major are installed.
 * The detail says which was done.
 */
@Component
class BaseBackupCheck {

    private static final long DEFAULT_SEGMENT_SIZE = 16L * 1024 * 1024;

    private final BaseBackupArchive archive;
    private final Workspace workspace;
    private final PostgresTools tools;
    private final ClusterService clusters;
    private final ProcessExecutor executor;
    private final JsonMapper json;

    BaseBackupCheck(BaseBackupArchive archive, Workspace workspace, PostgresTools tools, ClusterService clusters,
            ProcessExecutor executor, JsonMapper json) {
        this.archive = archive;
        this.workspace = workspace;
        this.tools = tools;
        this.clusters = clusters;
        this.executor = executor;
        this.json = json;
    }

    void check(BackupView backup, JobContext context, List<String> problems, List<String> findings) throws Exception {
        Path scratch = workspace.scratch("verify-" + backup.id());
        // a block-store backup carries pg_basebackup's manifest inside its tar stream: it is extracted with the rest
        try (Workspace.LocalCopy manifestCopy = BaseBackupArchive.isBlocks(backup)
                ? new Workspace.LocalCopy(scratch.resolve("backup_manifest"), null)
                : workspace.materialize(backup.repository(), backup.location(), "backup_manifest")) {
            context.phase("extracting into a scratch directory");
            long total = BaseBackupArchive.storedBytes(backup);
            archive.extract(backup, scratch, context.cancellation(), done -> context.bytes(done, total));
            Path manifest = manifestCopy.path();
            int major = ServerInfo.majorOf(backup.serverVersion());
            Optional<PostgresTools.ToolSet> own = tools.exactly(major, "pg_verifybackup");
            if (own.isPresent()) {
                verifyBackup(own.get(), manifest, scratch, false, context);
                findings.add("pg_verifybackup " + own.get().version() + ": every file matches the manifest and the "
                        + "WAL from " + backup.startLsn() + " to " + backup.stopLsn() + " parses");
                return;
            }
            Optional<PostgresTools.ToolSet> fitting = tools.fitting(major);
            if (fitting.isEmpty() || !fitting.get().has("pg_verifybackup")) {
                ownChecks(backup, major, manifest, scratch, context, problems, findings);
                return;
            }
            PostgresTools.ToolSet newer = fitting.get();
            context.log("pgvault: no pg_verifybackup of PostgreSQL " + major + " is installed, and " + newer.version()
                    + "'s cannot parse PostgreSQL " + major + " WAL: running it with --no-parse-wal, then pgvault's "
                    + "own WAL check");
            verifyBackup(newer, manifest, scratch, true, context);
            List<String> found = new ArrayList<>(List.of("pg_verifybackup " + newer.version() + " --no-parse-wal (no "
                    + "PostgreSQL " + major + " tools here parse this WAL): every file matches the manifest"));
            context.phase("checking the WAL");
            List<WalContinuity.Range> ranges = ManifestWal.ranges(json, manifest, backup);
            WalContinuity.Walked walked = WalContinuity.check(scratch.resolve("pg_wal"), ranges, segmentSize(backup));
            found.add("pgvault's own WAL check: " + walked.segments() + " segment(s) " + walked.firstSegment()
                    + (walked.segments() > 1 ? " to " + walked.lastSegment() : "") + " whole, " + walked.records()
                    + " record(s) from " + backup.startLsn() + " to " + backup.stopLsn()
                    + " linked and passing their CRC");
            context.log("pgvault: " + found.get(1));
            findings.addAll(found);
        } catch (ToolFailedException e) {
            problems.add(e.getMessage());
        } catch (BrokenWalException e) {
            problems.add("pgvault's own WAL check: " + e.getMessage());
        } catch (IOException e) {
            problems.add("the backup could not be extracted: " + e.getMessage());
        } finally {
            FileTrees.delete(scratch);
        }
    }

    /**
     * No pg_verifybackup of the backup's major or newer here (a PostgreSQL 16 cluster next to 15's tools): pgvault
     * checks the files against the manifest itself ({@link ManifestFiles}) and walks the WAL ({@link WalContinuity}).
     */
    private void ownChecks(BackupView backup, int major, Path manifest, Path scratch, JobContext context,
            List<String> problems, List<String> findings) throws IOException, BrokenWalException {
        context.log("pgvault: no pg_verifybackup of PostgreSQL " + major + " or newer is installed: pgvault checks "
                + "the files against backup_manifest and the WAL itself");
        context.phase("checking the files against backup_manifest");
        ManifestFiles.Checked files = ManifestFiles.check(json, manifest, scratch);
        if (!files.problems().isEmpty()) {
            files.problems().stream().limit(20).forEach(p -> context.log("pgvault: " + p));
            problems.add("pgvault's own manifest check (no pg_verifybackup of PostgreSQL " + major + " or newer "
                    + "here): " + files.problems().size() + " problem(s), first: " + files.problems().get(0));
            return;
        }
        String filesFound = "pgvault's own manifest check (no pg_verifybackup of PostgreSQL " + major + " or newer "
                + "here): " + files.files() + " file(s) match the manifest's sizes, " + files.checksummed()
                + " its CRC-32C checksums, and the manifest its own checksum";
        context.log("pgvault: " + filesFound);
        context.phase("checking the WAL");
        List<WalContinuity.Range> ranges = ManifestWal.ranges(json, manifest, backup);
        WalContinuity.Walked walked = WalContinuity.check(scratch.resolve("pg_wal"), ranges, segmentSize(backup));
        String wal = "pgvault's own WAL check: " + walked.segments() + " segment(s) " + walked.firstSegment()
                + (walked.segments() > 1 ? " to " + walked.lastSegment() : "") + " whole, " + walked.records()
                + " record(s) from " + backup.startLsn() + " to " + backup.stopLsn() + " linked and passing their CRC";
        context.log("pgvault: " + wal);
        findings.add(filesFound);
        findings.add(wal);
    }

    private void verifyBackup(PostgresTools.ToolSet set, Path manifest, Path scratch, boolean noParseWal,
            JobContext context) throws IOException, InterruptedException {
        context.phase("pg_verifybackup" + (noParseWal ? " --no-parse-wal" : ""));
        List<String> argv = new ArrayList<>(List.of(set.path("pg_verifybackup"), "--manifest-path=" + manifest));
        if (noParseWal) {
            argv.add("--no-parse-wal");
        }
        argv.add(scratch.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        executor.run(ProcessSpec.of(argv).environment(Map.of("PATH", "/usr/bin:/bin", "LC_ALL", "C.UTF-8"))
                .stdout(out).stderrLines(context::log), context.cancellation());
        out.toString(StandardCharsets.UTF_8).lines().forEach(context::log);
    }

    private long segmentSize(BackupView backup) {
        Long size = clusters.get(backup.cluster()).walSegmentSize();
        return size == null ? DEFAULT_SEGMENT_SIZE : size;
    }
}
