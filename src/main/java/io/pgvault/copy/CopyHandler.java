package io.pgvault.copy;

import io.pgvault.backup.BackupCopies;
import io.pgvault.backup.BackupFile;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupService;
import io.pgvault.backup.BackupView;
import io.pgvault.job.Job;
import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.JobType;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.Sha256;
import io.pgvault.wal.WalCopies;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * A COPY job: every file of the backup to the same location in another repository (decrypted from the one,
 * encrypted for the other, where they say so), each read back there and checked against the catalog's SHA-256;
 * for a BASE backup also the archived WAL from its first to its last segment and the timeline history. The
 * copy counts (COPIED) only when all of that passed; a failed copy's files are removed.
 */
@Component
class CopyHandler implements JobHandler {

    private final BackupService backups;
    private final BackupCopies copies;
    private final BackupStorage storage;
    private final WalCopies wal;
    private final JsonMapper json;

    CopyHandler(BackupService backups, BackupCopies copies, BackupStorage storage, WalCopies wal, JsonMapper json) {
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
    public void run(JobContext context) throws Exception {
        String to = json.readValue(context.payload(), String.class);
        BackupView backup = backups.get(context.backupId());
        copies.copying(backup.id(), to);
        try {
            long total = backup.files().stream().mapToLong(BackupFile::sizeBytes).sum();
            long done = 0;
            for (BackupFile file : backup.files()) {
                context.cancellation().throwIfCancelled();
                context.phase("copying " + file.path() + " to repository '" + to + "'");
                storage.copy(backup.repository(), to, backup.location(), file.path());
                context.phase("reading back " + file.path());
                long[] size = new long[1];
                String sha;
                try (InputStream in = storage.open(to, backup.location(), file.path())) {
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
            String detail = backup.files().size() + " file(s), " + total + " bytes, read back from '" + to
                    + "' with the catalog's SHA-256" + (backup.kind() == BackupKind.BASE ? "; " + walFiles
                    + " archived WAL file(s) of its range copied" : "");
            copies.copied(backup.id(), to, backup.location(), detail);
            context.log("pgvault: copied backup " + backup.id() + " from repository '" + backup.repository() + "' to '"
                    + to + "': " + detail);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("backupId", backup.id());
            result.put("from", backup.repository());
            result.put("repository", to);
            result.put("files", backup.files().size());
            result.put("bytes", total);
            result.put("walFiles", walFiles);
            context.result(json.writeValueAsString(result));
        } catch (Exception e) {
            removeCopy(to, backup.location(), context);
            copies.failed(backup.id(), to, e.getMessage() == null ? e.toString() : e.getMessage());
            throw e;
        }
    }

    private void removeCopy(String to, String location, JobContext context) {
        try {
            storage.delete(to, location);
        } catch (IOException | RuntimeException e) {
            context.log("pgvault: could not remove the partial copy in repository '" + to + "': " + e.getMessage());
        }
    }

    @Override
    public void abandon(Job job, String reason) {
        String to = json.readValue(job.getPayload(), String.class);
        copies.failed(job.getBackupId(), to, reason);
    }
}
