package io.pgvault.copy;

import io.pgvault.backup.BackupCopy;
import io.pgvault.backup.BackupFile;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.VerificationStatus;
import io.pgvault.job.Cancellation;
import io.pgvault.job.FailureCause;
import io.pgvault.job.JobCancelledException;
import io.pgvault.job.JobContext;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.springframework.stereotype.Component;

/**
 * Where a restore, recovery, extraction or download reads a backup from: the first of its own repository and its COPIED
 * copies whose every file is there and reads back whole with the catalog's size and SHA-256 (decrypted and so
 * authenticated, where the repository encrypts). The choice, and what was wrong with each source passed over, is
 * logged to the job; when no source is good, the job fails naming each one's fault.
 *
 * <p>Why a full read first, and not a fallback in the middle: the readers hand the bytes to tools (pg_restore,
 * psql, tar into a data directory) that would have written part of a damaged file into the target before the
 * damage showed, and a stream cannot be taken back. A file with the right size but one flipped byte (or
 * ciphertext that fails authentication) is found only by reading it, so each source is read through once before
 * any byte of it goes out. That costs a second read of the source used: the price of never restoring half of a
 * damaged file. A block-store backup with a COPIED copy is good where its manifest reads back whole and so does
 * every block it names (hashed again): a damaged block in the backup's own repository sends the reader to a copy.
 * Without a copy its blocks are not read twice: a bad one fails the read itself (as in phase 1), naming its file.
 */
@Component
public class BackupSources {

    private final BackupStorage storage;
    private final io.pgvault.blocks.BlockStores blocks;

    BackupSources(BackupStorage storage, io.pgvault.blocks.BlockStores blocks) {
        this.storage = storage;
        this.blocks = blocks;
    }

    /** No source of the backup reads back whole: each one's fault is in the message. */
    public static final class NoGoodCopyException extends io.pgvault.api.ConflictException {
        NoGoodCopyException(String message) {
            super(message);
        }
    }

    /**
     * The backup as read from the first good source: its own repository, else its COPIED copies in the order of
     * their repositories' names. A backup whose newest verification failed is read from a good copy where there
     * is one, else from its own repository if that reads back whole now.
     */
    public BackupView readable(BackupView backup, JobContext context) {
        context.phase("reading back the backup's files before use");
        return readable(backup, context::log, context.cancellation());
    }

    /** As above, outside a job (a download): {@code log} hears the choice and the faults passed over. */
    public BackupView readable(BackupView backup, Consumer<String> log, Cancellation cancellation) {
        List<String> faults = new ArrayList<>();
        boolean verificationFailed = backup.verificationStatus() == VerificationStatus.FAILED;
        String own = verificationFailed ? null : fault(backup, true, cancellation);
        if (own == null && !verificationFailed) {
            return backup;
        }
        String ownProblem = verificationFailed ? "its newest verification failed (" + backup.verificationDetail()
                + ")" : own;
        faults.add("repository '" + backup.repository() + "': " + ownProblem);
        for (BackupCopy copy : backup.copies()) {
            if (!copy.copied()) {
                continue;
            }
            BackupView there = backup.in(copy);
            String problem = fault(there, false, cancellation);
            if (problem == null) {
                log.accept("pgvault: backup " + backup.id() + " in repository '" + backup.repository() + "': "
                        + ownProblem + "; using its copy in repository '" + copy.repository() + "'"
                        + (copy.generation() == null ? "" : " (generation " + copy.generation() + ")")
                        + ", which reads back whole with the catalog's SHA-256");
                return there;
            }
            log.accept("pgvault: the copy in repository '" + copy.repository() + "' cannot be used either: " + problem);
            faults.add("copy in repository '" + copy.repository() + "': " + problem);
        }
        if (verificationFailed) {
            String now = fault(backup, true, cancellation);
            if (now == null) {
                log.accept("pgvault: backup " + backup.id() + " in repository '" + backup.repository() + "': "
                        + ownProblem + ", but it reads back whole with the catalog's SHA-256 now and no copy is "
                        + "better; reading it there");
                return backup;
            }
            faults.set(0, "repository '" + backup.repository() + "': " + now);
        }
        throw new NoGoodCopyException("backup " + backup.id() + " cannot be read whole from anywhere: "
                + String.join("; ", faults));
    }

    /**
     * What is wrong with the backup's files in its repository, or null when every one reads back with its
     * recorded size and SHA-256. {@code storedSizes}: in the backup's own repository, where the catalog has the
     * stored (maybe encrypted) sizes, a file of another size is found without reading it.
     */
    private String fault(BackupView backup, boolean storedSizes, Cancellation cancellation) {
        for (BackupFile file : backup.files()) {
            long expected = file.storedSizeBytes() != null ? file.storedSizeBytes() : file.sizeBytes();
            try {
                Optional<Long> size = storage.storedSize(backup.repository(), backup.location(), file.path());
                if (size.isEmpty()) {
                    return file.path() + " is missing";
                }
                if (storedSizes && size.get() != expected) {
                    return file.path() + " has " + size.get() + " bytes, the catalog says " + expected;
                }
            } catch (IOException | RuntimeException e) {
                return file.path() + " cannot be reached: " + FailureCause.describe(e);
            }
        }
        for (BackupFile file : backup.files()) {
            long[] read = new long[1];
            String sha;
            try (InputStream in = storage.open(backup.repository(), backup.location(), file.path())) {
                sha = hash(in, read, cancellation);
            } catch (JobCancelledException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                return file.path() + " cannot be read: " + FailureCause.describe(e);
            }
            if (read[0] != file.sizeBytes() || !sha.equals(file.sha256())) {
                return file.path() + " reads back with " + read[0] + " bytes, SHA-256 " + sha + "; the catalog says "
                        + file.sizeBytes() + " bytes, " + file.sha256() + " (damaged)";
            }
        }
        // a block-store backup's blocks are read through only where a copy can stand in for a bad one: without one,
        // a bad block fails the read itself, naming its file, and the read-through would only double the cost
        boolean fallback = backup.copies().stream().anyMatch(BackupCopy::copied);
        return backup.format() == io.pgvault.backup.DumpFormat.BLOCKS && fallback ? blockFault(backup, cancellation)
                : null;
    }

    /**
     * A block-store backup's manifest read back whole; its blocks too, each read and hashed again (its name), so
     * that a missing or damaged block sends the reader to a copy before any byte of the backup goes out.
     */
    private String blockFault(BackupView backup, Cancellation cancellation) {
        try {
            io.pgvault.blocks.BlockManifest manifest;
            try (InputStream in = storage.open(backup.repository(), backup.location(),
                    io.pgvault.blocks.BlockManifest.FILE)) {
                manifest = io.pgvault.blocks.BlockManifest.readFrom(in);
            }
            io.pgvault.blocks.BlockCheck.Result checked = io.pgvault.blocks.BlockCheck.run(
                    blocks.of(backup.repository()), manifest, io.pgvault.blocks.BlockStores.WORKERS, cancellation,
                    n -> { });
            return checked.problems().isEmpty() ? null : checked.problems().size() + " of its " + checked.blocks()
                    + " block(s) are bad: " + String.join("; ", checked.problems().subList(0,
                    Math.min(3, checked.problems().size())));
        } catch (JobCancelledException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while its blocks were read";
        } catch (IOException | RuntimeException e) {
            return "its blocks cannot be read: " + FailureCause.describe(e);
        }
    }

    /** Sha256.of, with a cancel heard between buffers: a big backup's read-through must not outlast a cancel. */
    private static String hash(InputStream in, long[] size, Cancellation cancellation) throws IOException {
        MessageDigest digest = Sha256.newDigest();
        byte[] buffer = new byte[256 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            cancellation.throwIfCancelled();
            digest.update(buffer, 0, n);
            total += n;
        }
        size[0] = total;
        return Sha256.hex(digest);
    }
}
