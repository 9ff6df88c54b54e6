package io.pgvault.reencryption;

import io.pgvault.backup.BackupGenerations;
import io.pgvault.job.FailureCause;
import io.pgvault.job.JobCancelledException;
import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.JobStatus;
import io.pgvault.job.JobType;
import io.pgvault.storage.ObjectRewrite;
import io.pgvault.wal.WalReencryption;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * A REENCRYPT job: every object of an encrypted repository that the catalog does not record under the current key
 * (backup files of the backups stored there, the generations of copies there, WAL files and WAL copies there) is
 * written again under the current key, each by the generation rule ({@link BackupRewrites}, {@link WalRewrites}).
 * The work is what the catalog says at the start, and each object is checked against the catalog again at its
 * switch, so the job is idempotent and resumable: a run after a failure finds only what is still under an older
 * key. It stops at the first object that fails (a bucket answering 503 fails the next one too), naming it, its
 * cause and how far it got; every object stays readable, the catalog pointing at the old one or the new one, whole.
 * An old object that could not be removed after its switch is noted ({@link Leftovers}); each run removes what is
 * noted first and last, and fails while one is left: a SUCCEEDED run leaves nothing under an older key. The block
 * store, which the catalog does not list, is listed and rewritten in place first ({@link BlockRewrites}); a run
 * SUCCEEDS only once it also cleared the catalog's note of the keys the block store may hold to the current key.
 */
@Component
class ReencryptionHandler implements JobHandler<ReencryptionOrder> {

    private final BackupGenerations generations;
    private final WalReencryption wal;
    private final ObjectRewrite objects;
    private final BackupRewrites backups;
    private final WalRewrites walRewrites;
    private final ReencryptionService service;
    private final Leftovers leftovers;
    private final BlockRewrites blocks;
    private final JsonMapper json;

    ReencryptionHandler(BackupGenerations generations, WalReencryption wal, ObjectRewrite objects,
            BackupRewrites backups, WalRewrites walRewrites, ReencryptionService service, Leftovers leftovers,
            BlockRewrites blocks, JsonMapper json) {
        this.generations = generations;
        this.wal = wal;
        this.objects = objects;
        this.backups = backups;
        this.walRewrites = walRewrites;
        this.service = service;
        this.leftovers = leftovers;
        this.blocks = blocks;
        this.json = json;
    }

    @Override
    public JobType type() {
        return JobType.REENCRYPT;
    }

    @Override
    public Class<ReencryptionOrder> payloadType() {
        return ReencryptionOrder.class;
    }

    @Override
    public void run(JobContext context, ReencryptionOrder order) throws Exception {
        String repository = order.repository();
        service.active(repository, context.jobId(), List.of(JobStatus.RUNNING)).ifPresent(other -> {
            throw new IllegalStateException("another re-encryption of repository '" + repository + "' is running (job "
                    + other.id() + "): two would write the same generations");
        });
        String keyId = objects.currentKeyId(repository);
        if (keyId == null) {
            throw new IOException("repository '" + repository + "' refuses to write: nothing can be re-encrypted");
        }
        context.phase("listing what is not under key " + keyId);
        List<UUID> own = generations.ownNotUnder(repository, keyId);
        List<UUID> copies = generations.copiesNotUnder(repository, keyId);
        List<WalReencryption.StoredWal> walFiles = wal.notUnder(repository, keyId);
        int objectCount = walFiles.size();
        long bytes = walFiles.stream().mapToLong(WalReencryption.StoredWal::sizeBytes).sum();
        for (UUID id : own) {
            var files = generations.own(id, repository).map(BackupGenerations.Stored::files).orElse(List.of());
            objectCount += files.size();
            bytes += files.stream().mapToLong(f -> f.sizeBytes()).sum();
        }
        for (UUID id : copies) {
            var files = generations.copy(id, repository).map(BackupGenerations.Stored::files).orElse(List.of());
            objectCount += files.size();
            bytes += files.stream().mapToLong(f -> f.sizeBytes()).sum();
        }
        Progress p = new Progress(context, repository, keyId, objectCount, bytes);
        p.log("re-encrypting repository '" + repository + "' under key " + keyId + ": " + own.size() + " backup(s), "
                + copies.size() + " cop(ies) of backups and " + walFiles.size() + " WAL file(s) (" + objectCount
                + " object(s), " + bytes + " bytes) are not recorded under it; the block store is listed next");
        String current = "the old objects earlier runs could not remove";
        boolean blockKeysCleared;
        try {
            leftovers.remove(repository, p); // what is still left is tried again at the end
            // the block store first: nothing in the catalog switches for it, and its noted keys clear only if no
            // writer ran since its listing, the sooner the likelier
            current = "the block store (.blocks/)";
            BlockRewrites.Listing blockStore = blocks.list(repository, keyId);
            p.more(blockStore.notUnderKey().size());
            p.log("the block store (.blocks/) holds " + blockStore.listed() + " object(s), "
                    + blockStore.notUnderKey().size() + " of them not under key " + keyId);
            blockKeysCleared = blocks.rewrite(blockStore, p) || blocks.again(p);
            for (UUID id : own) {
                current = "backup " + id;
                backups.own(id, p);
            }
            for (UUID id : copies) {
                current = "the copy of backup " + id;
                backups.copy(id, p);
            }
            for (WalReencryption.StoredWal w : walFiles) {
                current = (w.copy() ? "the copy of WAL file " : "WAL file ") + w.name() + " of cluster '" + w.cluster()
                        + "'";
                walRewrites.rewrite(w, p);
            }
        } catch (JobCancelledException e) {
            p.log("cancelled: " + p.summary() + "; every object is readable, the rest under its old key");
            throw e;
        } catch (Exception e) {
            String cause = FailureCause.describe(e);
            p.log("re-encrypting " + current + " failed: " + cause);
            throw new IOException("re-encrypting " + current + " in repository '" + repository + "' failed: " + cause
                    + "; " + p.summary() + ". Every object is readable: the catalog points at the old object for this "
                    + "one and the rest, under their old keys. Run the re-encryption again to continue", e);
        }
        if (!blockKeysCleared) {
            p.log("the block store's writers kept writing: its noted keys stay " + blocks.noted(repository));
            throw new IOException("repository '" + repository + "': " + p.summary() + ", every object is readable, "
                    + "but BLOCKS backups or copies held block leases while the block store (.blocks/) was listed, "
                    + "and again while it was listed once more (or did not end within " + BlockRewrites.WAIT.toMinutes()
                    + " minutes), so it may hold blocks under an older key: its keys stay noted as "
                    + blocks.noted(repository)
                    + " and none of them can be removed. Run the re-encryption again when no BLOCKS backup or copy "
                    + "into the repository runs");
        }
        List<String> left = leftovers.remove(repository, p);
        if (!left.isEmpty()) {
            p.log("old object(s) nothing points at could not be removed: " + left);
            throw new IOException("repository '" + repository + "': " + p.summary() + ", every object is readable, but "
                    + left.size() + " old object(s) that nothing points at any more, under an older key, could not be "
                    + "removed: " + left + ". Run the re-encryption again to remove them");
        }
        p.log("done: " + p.summary());
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("repository", repository);
        result.put("keyId", keyId);
        result.put("objects", p.objects);
        result.put("reencrypted", p.rewritten);
        result.put("alreadyUnderKey", p.alreadyUnderKey);
        result.put("skipped", p.skipped);
        result.put("unencrypted", p.unencrypted);
        result.put("blockStoreObjects", p.blocks);
        result.put("bytes", p.bytes);
        context.result(json.writeValueAsString(result));
    }

    @Override
    public void abandon(io.pgvault.job.Job job, ReencryptionOrder order, String reason) {
        // nothing was switched half-way: a catalog switch is one transaction; only a copy's attempt is left to close
        generations.abandonAttempts(job.getId(), "re-encryption: " + reason);
    }
}
