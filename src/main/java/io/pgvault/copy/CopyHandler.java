package io.pgvault.copy;

import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupCopies;
import io.pgvault.backup.BackupFile;
import io.pgvault.backup.BackupGenerations;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.DumpFormat;
import io.pgvault.job.FailureCause;
import io.pgvault.job.Job;
import io.pgvault.job.JobCancelledException;
import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.JobType;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.Sha256;
import io.pgvault.wal.WalCopies;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * A COPY job: every file of the backup to the same location in another repository (decrypted from the one,
 * encrypted for the other, where they say so), each read back there and checked against the catalog's SHA-256;
 * for a BASE backup also the archived WAL from its first to its last segment and the timeline history. The
 * copy counts (COPIED) only when all of that passed; a failed copy's files are removed. A backup copied again is
 * written as a new generation beside the COPIED one, which stays COPIED and readable until the new one is read
 * back and recorded, and only then goes: a failed attempt (a bucket answering 503) loses no copy. A block-store
 * backup copies only the blocks the target lacks, then its manifest ({@link BlockBackupCopy}); the blocks are
 * shared by every backup there, so a generation is its manifest, and removing an old one leaves blocks to the
 * target's sweep.
 */
@Component
class CopyHandler implements JobHandler<CopyOrder> {

    private final BackupCatalog backups;
    private final BackupCopies copies;
    private final BackupStorage storage;
    private final WalCopies wal;
    private final JsonMapper json;
    private final BlockBackupCopy blocks;

    CopyHandler(BackupCatalog backups, BackupCopies copies, BackupStorage storage, WalCopies wal, JsonMapper json,
            BlockBackupCopy blocks) {
        this.blocks = blocks;
        this.backups = backups;
        this.copies = copies;
        this.storage = storage;
        this.wal = wal;
        this.json = json;
    }

    @Override
    public JobType type() {
        return JobType.COPY;
    }

    @Override
    public Class<CopyOrder> payloadType() {
        return CopyOrder.class;
    }

    @Override
    public void run(JobContext context, CopyOrder order) throws Exception {
        String to = order.repository();
        BackupView backup = backups.get(context.backupId());
        BackupCopies.Generation generation = copies.copying(backup.id(), to,
                BackupGenerations.baseLocation(backup.location()));
        if (generation.kept() != null) {
            context.log("pgvault: the copy in repository '" + to + "' (generation " + generation.keptNumber() + ", at "
                    + generation.kept() + ") stays COPIED while generation " + generation.number() + " is written "
                    + "beside it, at " + generation.location() + "; it replaces the old one only once read back");
        }
        try {
            // what a crashed attempt left of this generation: never the COPIED one, which has another number
            storage.delete(to, generation.location());
            // a block-store backup: the blocks the target lacks, then its manifest (rewritten for the target's names)
            BlockBackupCopy.Copied blocked = backup.format() == DumpFormat.BLOCKS && backup.kind() == BackupKind.BASE
                    ? blocks.copy(backup, to, generation.location(), context) : null;
            List<BackupFile> files = blocked != null && blocked.rewrittenManifest() != null
                    ? List.of(blocked.rewrittenManifest()) : backup.files();
            long total = files.stream().mapToLong(BackupFile::sizeBytes).sum();
            long done = 0;
            for (BackupFile file : files) {
                context.cancellation().throwIfCancelled();
                if (blocked == null) {
                    context.phase("copying " + file.path() + " to repository '" + to + "'");
                    storage.copy(backup.repository(), backup.location(), to, generation.location(), file.path());
                }
                context.phase("reading back " + file.path());
                long[] size = new long[1];
                String sha;
                try (InputStream in = storage.open(to, generation.location(), file.path())) {
                    sha = Sha256.of(in, size);
                }
                if (size[0] != file.sizeBytes() || !sha.equals(file.sha256())) {
                    throw new IllegalStateException(file.path() + " reads back from repository '" + to + "' with "
                            + size[0] + " bytes, SHA-256 " + sha + "; the catalog says " + file.sizeBytes() + " bytes, "
                            + file.sha256() + " (is the source in '" + backup.repository() + "' damaged? verify it)");
                }
                done += file.sizeBytes();
                context.bytes(done, total);
            }
            int walFiles = 0;
            if (backup.kind() == BackupKind.BASE && backup.firstWal() != null && backup.timeline() != null) {
                context.phase("copying the backup's WAL");
                walFiles = wal.copyRange(backup.cluster(), backup.timeline(), backup.firstWal(), backup.lastWal(), to);
            }
            String detail = (blocked == null ? "" : blockDetail(blocked)) + files.size() + " file(s), " + total
                    + " bytes, read back from '" + to + "' with the catalog's SHA-256" + (backup.kind()
                    == BackupKind.BASE ? "; " + walFiles + " archived WAL file(s) of its range copied" : "");
            copies.copied(backup.id(), to, generation, detail, blocked == null ? null : blocked.rewrittenManifest())
                    .ifPresent(old -> removeOld(to, old, context));
            context.log("pgvault: copied backup " + backup.id() + " from repository '" + backup.repository() + "' to '"
                    + to + "' (generation " + generation.number() + ", at " + generation.location() + "): " + detail);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("backupId", backup.id());
            result.put("from", backup.repository());
            result.put("repository", to);
            result.put("location", generation.location());
            result.put("generation", generation.number());
            result.put("files", backup.files().size());
            result.put("bytes", total);
            result.put("walFiles", walFiles);
            if (blocked != null) {
                result.put("blocks", blocked.blocks().blocks());
                result.put("blocksRead", blocked.blocks().read());
                result.put("blocksAdded", blocked.blocks().added());
                result.put("blockBytesAdded", blocked.blocks().storedBytesAdded());
            }
            context.result(json.writeValueAsString(result));
        } catch (Exception e) {
            String cause = FailureCause.describe(e);
            BackupCopies.Failed failed = copies.failed(backup.id(), to, cause);
            removeAttempt(to, generation.location(), context);
            if (!failed.kept()) {
                throw e;
            }
            String kept = "the earlier copy in repository '" + to + "' (generation " + failed.keptNumber() + ", at "
                    + generation.kept() + ") is kept, untouched and still COPIED";
            context.log("pgvault: copying again failed: " + cause + "; " + kept);
            if (e instanceof JobCancelledException) {
                throw e;
            }
            throw new IOException("copying backup " + backup.id() + " again failed: " + cause + "; " + kept, e);
        }
    }

    private static String blockDetail(BlockBackupCopy.Copied blocked) {
        io.pgvault.blocks.BlockCopy.Result b = blocked.blocks();
        return b.blocks() + " block(s), " + b.added() + " stored anew (" + b.storedBytesAdded() + " bytes), "
                + (b.blocks() - b.added()) + " already there" + (blocked.rewrittenManifest() == null ? ""
                : ", the manifest rewritten with the repository's own block names") + "; ";
    }

    /** The generation a new one replaced: nothing points at it any more. A failure leaves files, never a gap. */
    private void removeOld(String to, String old, JobContext context) {
        try {
            storage.delete(to, old);
            context.log("pgvault: removed the replaced generation at " + old + " in repository '" + to + "'");
        } catch (IOException | RuntimeException e) {
            context.log("pgvault: could not remove the replaced generation at " + old + " in repository '" + to
                    + "' (" + FailureCause.describe(e) + "); nothing points at it, remove it by hand");
        }
    }

    /** What a failed attempt wrote of its own generation; the COPIED generation is at another location. */
    private void removeAttempt(String to, String location, JobContext context) {
        try {
            storage.delete(to, location);
        } catch (IOException | RuntimeException e) {
            context.log("pgvault: could not remove the partial copy at " + location + " in repository '" + to + "': "
                    + FailureCause.describe(e));
        }
    }

    @Override
    public void abandon(Job job, CopyOrder order, String reason) {
        if (order == null) {
            return;
        }
        String to = order.repository();
        BackupCopies.Failed failed = copies.failed(job.getBackupId(), to, reason);
        if (failed.attemptLocation() != null) {
            try {
                storage.delete(to, failed.attemptLocation());
            } catch (IOException | RuntimeException e) {
                // the next attempt of this generation removes it before it writes
            }
        }
    }
}
