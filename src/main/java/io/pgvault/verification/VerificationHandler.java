package io.pgvault.verification;

import io.pgvault.backup.BackupFile;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupVerifications;
import io.pgvault.backup.BackupStatus;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.VerificationLevel;
import io.pgvault.backup.VerificationOrder;
import io.pgvault.backup.VerificationStatus;
import io.pgvault.backup.physical.BaseBackupArchive;
import io.pgvault.blocks.BlockCheck;
import io.pgvault.blocks.BlockStores;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.JobType;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.Workspace;
import io.pgvault.wal.WalVerification;
import io.pgvault.storage.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Proves a backup intact. CHECKSUM re-reads every stored file and compares size and SHA-256 with the
 * catalog; LIST does that and then reads the archive's table of contents with pg_restore --list (or,
 * for PLAIN SQL, checks that the dump is complete from its header to its closing line; for BASE, runs
 * pg_verifybackup on an extracted copy). RESTORE checks the checksums and then runs a restore drill.
 */
@Component
class VerificationHandler implements JobHandler<VerificationOrder> {

    private final BackupCatalog backups;
    private final BackupVerifications verifications;
    private final BackupStorage storage;
    private final Workspace workspace;
    private final ClusterAccess clusters;
    private final ProcessExecutor executor;
    private final BaseBackupCheck baseCheck;
    private final DumpDrill drill;
    private final BaseDrill baseDrill;

    private final WalVerification walVerification;
    private final BaseBackupArchive archive;

    VerificationHandler(BackupCatalog backups, BackupVerifications verifications, BackupStorage storage,
            Workspace workspace, ClusterAccess clusters, ProcessExecutor executor, BaseBackupCheck baseCheck,
            DumpDrill drill, BaseDrill baseDrill, WalVerification walVerification, BaseBackupArchive archive) {
        this.walVerification = walVerification;
        this.archive = archive;
        this.baseCheck = baseCheck;
        this.drill = drill;
        this.baseDrill = baseDrill;
        this.backups = backups;
        this.verifications = verifications;
        this.storage = storage;
        this.workspace = workspace;
        this.clusters = clusters;
        this.executor = executor;
    }

    @Override
    public JobType type() {
        return JobType.VERIFICATION;
    }

    @Override
    public Class<VerificationOrder> payloadType() {
        return VerificationOrder.class;
    }

    @Override
    public void run(JobContext context, VerificationOrder order) throws Exception {
        if (context.backupId() == null) {
            walVerification.run(context);
            return;
        }
        BackupView backup = backups.get(context.backupId());
        if (backup.status() != BackupStatus.SUCCEEDED) {
            context.log("pgvault: backup " + backup.id() + " is " + backup.status() + " now; nothing to verify");
            return;
        }
        VerificationLevel level = order.level();
        List<String> problems = new ArrayList<>();
        List<String> findings = new ArrayList<>();
        context.phase("verifying checksums");
        checksums(backup, context, problems, findings);
        if (level == VerificationLevel.RESTORE && problems.isEmpty()) {
            Double seconds = backup.kind() == BackupKind.BASE ? baseDrill.run(backup, context, problems, findings)
                    : drill.run(backup, order.drillCluster() == null ? backup.cluster() : order.drillCluster(), context,
                            problems, findings);
            if (seconds != null) {
                verifications.recordDrill(backup.id(), seconds);
            }
        }
        if (level == VerificationLevel.LIST && problems.isEmpty()) {
            context.phase("listing the archive");
            if (backup.kind() == BackupKind.BASE) {
                baseCheck.check(backup, context, problems, findings);
            } else if (backup.kind() == BackupKind.DUMP && backup.format().isArchive()) {
                list(backup, context, problems, findings);
            } else {
                PlainDumpCheck.check(storage, backup, problems, findings);
            }
        }
        boolean passed = problems.isEmpty();
        String detail = String.join("; ", passed ? findings : problems);
        verifications.recordVerification(backup.id(), passed ? VerificationStatus.PASSED : VerificationStatus.FAILED,
                level, detail);
        context.log("pgvault: verification " + level + (passed ? " passed: " : " FAILED: ") + detail);
        if (!passed) {
            throw new IllegalStateException("verification failed: " + detail);
        }
    }

    private void checksums(BackupView backup, JobContext context, List<String> problems, List<String> findings)
            throws IOException {
        long total = backup.files().stream().mapToLong(BackupFile::sizeBytes).sum();
        long done = 0;
        for (BackupFile file : backup.files()) {
            context.cancellation().throwIfCancelled();
            long[] size = new long[1];
            String sha;
            // encrypted files are checked as stored, against the stored bytes' checksum: no key is needed
            boolean encrypted = file.storedSha256() != null;
            long expectedSize = encrypted ? file.storedSizeBytes() : file.sizeBytes();
            String expectedSha = encrypted ? file.storedSha256() : file.sha256();
            String what = encrypted ? " (encrypted, as stored)" : "";
            try (InputStream in = storage.openStored(backup.repository(), backup.location(), file.path())) {
                sha = Sha256.of(in, size);
            } catch (IOException e) {
                problems.add(file.path() + " cannot be read: " + e.getMessage());
                continue;
            }
            if (size[0] != expectedSize) {
                problems.add(file.path() + what + " has " + size[0] + " bytes, the catalog says " + expectedSize);
            } else if (!sha.equals(expectedSha)) {
                problems.add(file.path() + what + " has SHA-256 " + sha + ", the catalog says " + expectedSha);
            }
            done += size[0];
            context.bytes(done, total);
        }
        if (problems.isEmpty()) {
            findings.add("checksums match for " + backup.files().size() + " file(s), " + total + " bytes");
        }
        if (problems.isEmpty() && BaseBackupArchive.isBlocks(backup)) {
            blockChecksums(backup, context, problems, findings);
        }
    }

    /** A block-store backup: every block its manifest names read back and hashed again. */
    private void blockChecksums(BackupView backup, JobContext context, List<String> problems, List<String> findings)
            throws IOException {
        context.phase("reading every block");
        long total = BaseBackupArchive.storedBytes(backup);
        try {
            BlockCheck.Result checked = BlockCheck.run(archive.blockStore(backup), archive.manifest(backup),
                    BlockStores.WORKERS, context.cancellation(), n -> context.bytes(n, total));
            problems.addAll(checked.problems());
            if (checked.problems().isEmpty()) {
                findings.add("every block read back with its name as its hash: " + checked.blocks() + " block(s), "
                        + checked.bytes() + " bytes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.pgvault.job.JobCancelledException("interrupted");
        }
    }

    private void list(BackupView backup, JobContext context, List<String> problems, List<String> findings)
            throws Exception {
        try (ToolSession session = clusters.toolSession(backup.cluster());
                Workspace.LocalCopy file = workspace.materialize(backup.repository(), backup.location(),
                        backup.mainFile())) {
            String path = file.path().toString();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            executor.run(ProcessSpec.of(List.of(session.tool("pg_restore"), "--list", path))
                    .environment(Map.of("PATH", "/usr/bin:/bin", "LC_ALL", "C.UTF-8"))
                    .stdout(out).stderrLines(context::log), context.cancellation());
            long entries = out.toString(StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith(";")).count();
            if (entries == 0) {
                problems.add("pg_restore --list found no entries in the archive");
            } else {
                findings.add("pg_restore --list read " + entries + " TOC entries");
            }
        } catch (io.pgvault.process.ToolFailedException e) {
            problems.add(e.getMessage());
        } catch (IOException e) {
            problems.add(backup.mainFile() + " cannot be read: " + e.getMessage());
        }
    }
}
