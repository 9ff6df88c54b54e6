package io.pgvault.copy;

import io.pgvault.backup.BackupFile;
import io.pgvault.backup.BackupView;
import io.pgvault.blocks.BlockCopy;
import io.pgvault.blocks.BlockLeases;
import io.pgvault.blocks.BlockManifest;
import io.pgvault.blocks.BlockStores;
import io.pgvault.job.JobContext;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.Repositories;
import io.pgvault.storage.Sha256;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.springframework.stereotype.Component;

/**
 * A copy of a block-store backup (format BLOCKS): its blocks go into the target repository's block store, only
 * those it lacks (see {@link BlockCopy}), then its manifest into the copy's generation, last. When the target names
 * blocks otherwise (either side encrypted, so names are HMACs under each repository's own key) the manifest is
 * rewritten with the target's names and has its own size and SHA-256, which the catalog records for the copy; else
 * it is the backup's own, byte for byte. A lease on the target comes first, so its block sweep deletes nothing the
 * copy reuses.
 */
@Component
class BlockBackupCopy {

    private final BackupStorage storage;
    private final BlockStores stores;
    private final BlockLeases leases;
    private final Repositories repositories;

    BlockBackupCopy(BackupStorage storage, BlockStores stores, BlockLeases leases, Repositories repositories) {
        this.storage = storage;
        this.stores = stores;
        this.leases = leases;
        this.repositories = repositories;
    }

    /** What was copied: the copy's manifest file when rewritten (else null), and what the blocks cost. */
    record Copied(BackupFile rewrittenManifest, BlockCopy.Result blocks) {
    }

    Copied copy(BackupView backup, String to, String location, JobContext context) throws Exception {
        leases.take(to, context.jobId());
        BackupFile own = backup.files().stream().filter(f -> f.path().equals(BlockManifest.FILE)).findFirst()
                .orElseThrow(() -> new IllegalStateException("backup " + backup.id() + " records no block manifest"));
        byte[] stored;
        try (InputStream in = storage.open(backup.repository(), backup.location(), BlockManifest.FILE)) {
            stored = in.readAllBytes();
        }
        String sha = Sha256.of(stored);
        if (stored.length != own.sizeBytes() || !sha.equals(own.sha256())) {
            throw new IOException(BlockManifest.FILE + " reads back from repository '" + backup.repository()
                    + "' with " + stored.length + " bytes, SHA-256 " + sha + "; the catalog says " + own.sizeBytes()
                    + " bytes, " + own.sha256() + " (damaged: verify the backup)");
        }
        BlockManifest manifest = BlockManifest.readFrom(new ByteArrayInputStream(stored));
        int total = manifest.blocks().size();
        context.phase("copying " + total + " block(s) to repository '" + to + "'");
        BlockCopy.Result result = BlockCopy.run(stores.of(backup.repository()), stores.of(to), manifest,
                BlockStores.WORKERS, context.cancellation(), n -> context.bytes(n, (long) total));
        context.phase("writing the manifest to repository '" + to + "'");
        if (!result.rewritten()) {
            storage.copy(backup.repository(), backup.location(), to, location, BlockManifest.FILE);
            return new Copied(null, result);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        result.manifest().writeTo(bytes);
        byte[] written = bytes.toByteArray();
        repositories.forReading(to).store().put(location + "/" + BlockManifest.FILE,
                new ByteArrayInputStream(written));
        String writtenSha = Sha256.of(written);
        return new Copied(new BackupFile(BlockManifest.FILE, written.length, writtenSha), result);
    }
}
