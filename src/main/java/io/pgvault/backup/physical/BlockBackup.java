package io.pgvault.backup.physical;

import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupRunner;
import io.pgvault.backup.BackupType;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.DumpFormat;
import io.pgvault.blocks.BlockManifest;
import io.pgvault.blocks.BlockStore;
import io.pgvault.blocks.BlockStores;
import io.pgvault.blocks.BoundedPipe;
import io.pgvault.blocks.TarBlockWriter;
import io.pgvault.job.JobContext;
import io.pgvault.storage.HashingOutputStream;
import io.pgvault.storage.StagingArea;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.springframework.stereotype.Component;

/**
 * A BASE backup into the repository's block store (format BLOCKS): pg_basebackup writes one tar to its stdout
 * ({@code -D - -X fetch}, the WAL inside it), and that stream is cut into blocks as it arrives (see
 * {@link TarBlockWriter}): nothing is staged on disk but the manifest, and the heap holds at most
 * {@code (workers + 2) × block size} plus the pipe's 16 chunks of 256 KiB. The manifest goes into the staging area
 * last, so the backup exists (is committed and recorded) only once every block it names is stored; an
 * interrupted one leaves blocks that its retry finds and skips.
 *
 * <p>pg_basebackup reads every file whatever the type, so FULL, DIFF and INCR read the same and each stores only
 * the blocks the repository lacks; the type and its reference are resolved and recorded here (a DIFF or INCR with
 * no earlier block-store backup of the cluster in the repository is taken as a FULL and says so). pg_basebackup
 * cannot write to stdout for a cluster with tablespaces; such a backup fails with the tool's own message.
 */
@Component
class BlockBackup {

    private final BlockStores stores;
    private final BackupCatalog backups;
    private final BaseBackupArchive archive;

    private final io.pgvault.blocks.BlockLeases leases;

    BlockBackup(BlockStores stores, BackupCatalog backups, io.pgvault.blocks.BlockLeases leases,
            BaseBackupArchive archive) {
        this.archive = archive;
        this.stores = stores;
        this.backups = backups;
        this.leases = leases;
    }

    /**
     * The repository's block store for a backup, with the backup's lease taken first: every reader gets its store
     * here, before it looks for any block, so that the sweep deletes nothing the backup may reuse
     * ({@link io.pgvault.blocks.BlockLeases}).
     */
    BlockStore leasedStore(BackupView backup, JobContext context) throws java.io.IOException {
        leases.take(backup.repository(), context.jobId());
        return stores.of(backup.repository());
    }

    /** Where pg_basebackup's stdout goes, and how the manifest is written once it ended. */
    final class Session {
        private final BoundedPipe pipe = new BoundedPipe(16);
        private final TarBlockWriter writer;
        private final CompletableFuture<List<BlockManifest.Entry>> reading;
        private final BlockStore store;
        private final Reference reference;

        Session(BackupView backup, JobContext context) throws java.io.IOException {
            reference = reference(backup);
            store = leasedStore(backup, context);
            Optional<BackupView> previous = previous(backup, reference);
            writer = new TarBlockWriter(store, TarBlockWriter.DEFAULT_BLOCK_SIZE, BlockStores.WORKERS,
                    previous.isEmpty() ? java.util.Map.of() : archive.filesByPath(previous.get()),
                    reference.view() != null);
            reading = CompletableFuture.supplyAsync(() -> {
                try (InputStream in = pipe.input()) {
                    List<BlockManifest.Entry> entries = writer.read(in, "", context.cancellation());
                    // what follows the tar's end (padding) is read too, so that the tool never waits on the pipe
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                    return entries;
                } catch (Exception e) {
                    pipe.abandon();
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, r -> {
                Thread t = new Thread(r, "pgvault-blocks-stdout");
                t.setDaemon(true);
                t.start();
            });
        }

        java.io.OutputStream stdout() {
            return pipe.output();
        }

        /** The tool failed: stop reading. */
        void abandon() {
            pipe.abandon();
            reading.cancel(true);
            writer.close();
        }

        /** The tool ended well: the rest of the stream, then the manifest into the staging area. */
        BackupRunner.Blocks finish(BackupView backup, StagingArea area, JobContext context) throws Exception {
            List<BlockManifest.Entry> entries;
            try {
                pipe.finish();
                entries = reading.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            } finally {
                writer.close();
            }
            BlockManifest manifest = new BlockManifest(1, TarBlockWriter.DEFAULT_BLOCK_SIZE, store.keyed(), entries);
            try (HashingOutputStream out = area.create(BlockManifest.FILE, n -> { })) {
                manifest.writeTo(out);
            }
            TarBlockWriter.Stats stats = writer.stats();
            context.log(String.format("pgvault: block store: %d block(s) of %d bytes read (%d bytes), %d new (%d bytes "
                    + "stored, %d of them as page deltas), %d reused; %s", stats.blocks(),
                    TarBlockWriter.DEFAULT_BLOCK_SIZE, stats.bytesRead(), stats.addedBlocks(), stats.storedBytesAdded(),
                    stats.deltaBlocks(), stats.blocks() - stats.addedBlocks(), reference.describe()));
            return new BackupRunner.Blocks(reference.type(), reference.id(), manifest.dataSize(),
                    stats.storedBytesAdded());
        }
    }

    Session open(BackupView backup, JobContext context) throws java.io.IOException {
        return new Session(backup, context);
    }

    /** The type taken and the backup it refers to ({@code view}: null for a FULL); {@code why}: why a FULL. */
    record Reference(BackupType type, java.util.UUID id, String why, BackupView view) {

        /** For the job log: "INCR referring to id", or "FULL (why)". */
        String describe() {
            return type + (why == null ? (id == null ? "" : " referring to " + id) : " (" + why + ")");
        }
    }

    /**
     * The backup whose blocks a new one is compared with, place by place: its reference (the bases of its page deltas),
     * or for a FULL the newest block-store backup of the cluster in the repository, if any (a FULL makes no delta,
     * but refers again to a delta that one stored of a block unchanged since).
     */
    Optional<BackupView> previous(BackupView backup, Reference reference) {
        if (reference.view() != null) {
            return Optional.of(reference.view());
        }
        List<BackupView> earlier = earlier(backup, BackupType.INCR);
        return earlier.isEmpty() ? Optional.empty() : Optional.of(earlier.get(earlier.size() - 1));
    }

    /** This cluster's block-store backups in this repository, oldest first: every one, or only FULLs for a DIFF. */
    private List<BackupView> earlier(BackupView backup, BackupType asked) {
        return backups.baseBackups(backup.cluster()).stream()
                .filter(b -> b.format() == DumpFormat.BLOCKS && b.repository().equals(backup.repository())
                        && !b.id().equals(backup.id()))
                .filter(b -> asked == BackupType.INCR || b.type() == BackupType.FULL).toList();
    }

    /** DIFF: the newest FULL; INCR: the newest backup; of this cluster, in the block store of this repository. */
    Reference reference(BackupView backup) {
        BackupType asked = backup.spec().type() == null ? BackupType.FULL : backup.spec().type();
        if (asked == BackupType.FULL) {
            return new Reference(BackupType.FULL, null, null, null);
        }
        List<BackupView> earlier = earlier(backup, asked);
        Optional<BackupView> newest = earlier.isEmpty() ? Optional.empty() : Optional.of(earlier.get(earlier.size() - 1));
        return newest.map(b -> new Reference(asked, b.id(), null, b)).orElseGet(() -> new Reference(BackupType.FULL, null,
                asked + " asked, but no earlier " + (asked == BackupType.DIFF ? "FULL " : "") + "block-store backup of "
                + "cluster '" + backup.cluster() + "' is in repository '" + backup.repository() + "': taken as FULL", null));
    }
}
