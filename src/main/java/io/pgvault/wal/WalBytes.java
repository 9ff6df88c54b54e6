package io.pgvault.wal;

import io.pgvault.PgvaultProperties;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.Sha256;
import io.pgvault.storage.codec.Codec;
import io.pgvault.storage.codec.Compression;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The archive's bytes on their way to storage and back: which codec a file is stored with (segments: zstd by
 * default, the store's compression stage encodes them while the body streams in), the one pass that hashes the
 * original, and the catalog's rules. The catalog keeps the original's size and SHA-256, the codec and the stored
 * name per file, so what PostgreSQL pushed is what it gets back and what verification checks, whatever the file
 * was stored with: a fetch is decoded with the recorded codec. Storage judges no content and never replaces a
 * stored file; the catalog is the arbiter: a name it lists already is compared with the recorded checksum
 * (same: nothing is stored again; different: {@link WalConflict}), and a fetch reads only the stored file the
 * catalog recorded. History and .backup files, small text that a person may want to read in the repository, are
 * stored as they are.
 */
@Component
class WalBytes {

    private static final Logger log = LoggerFactory.getLogger(WalBytes.class);
    private final BackupStorage storage;
    private final WalFileRepository files;
    private final Codec codec;
    private final WalCopies copies;
    private final int level;

    WalBytes(BackupStorage storage, WalFileRepository files, PgvaultProperties properties, WalCopies copies) {
        this.copies = copies;
        this.storage = storage;
        this.files = files;
        this.codec = properties.wal().compression();
        this.level = properties.wal().compressionLevel();
    }

    /**
     * A stored file: the original's size and SHA-256, how it is stored, its size and name there, and whether this
     * push stored it (false: the catalog lists the same content under the name already).
     */
    record Stored(String repository, long sizeBytes, String sha256, Codec codec, long storedSizeBytes, boolean created,
            String keyId, String storedName) {
    }

    /**
     * Stores a pushed file durably, encoded, from {@code content} (which checks itself as it is read), unless the
     * catalog lists the name already: then the recorded original must be the same (nothing is stored), else
     * {@link WalConflict}. A push that stores its bytes still has to win the catalog ({@link #discard} if not).
     */
    Stored store(String repository, String cluster, WalFileName file, InputStream content) throws IOException {
        Codec chosen = file.kind() == WalFileKind.SEGMENT || file.kind() == WalFileKind.PARTIAL ? codec : Codec.NONE;
        MessageDigest digest = Sha256.newDigest();
        long[] size = {0};
        String[] sha256 = new String[1];
        WalFile[] listed = new WalFile[1];
        BackupStorage.WalStored stored = storage.storeWal(repository, cluster, WalArchiveService.timelineDir(file),
                file.name(), new Compression(chosen, level), out -> {
                    byte[] buffer = new byte[256 * 1024];
                    int n;
                    while ((n = content.read(buffer)) >= 0) {
                        digest.update(buffer, 0, n);
                        out.write(buffer, 0, n);
                        size[0] += n;
                    }
                }, () -> {
                    sha256[0] = Sha256.hex(digest);
                    listed[0] = files.findById(new WalFile.Key(cluster, file.name())).orElse(null);
                    if (listed[0] != null) {
                        requireSame(listed[0], size[0], sha256[0]);
                    }
                    return listed[0] == null;
                });
        if (!stored.created()) {
            WalFile f = listed[0];
            return new Stored(f.getRepository(), f.getSizeBytes(), f.getSha256(), f.getCodec(),
                    f.getStoredSizeBytes() == null ? f.getSizeBytes() : f.getStoredSizeBytes(), false, null,
                    f.getStoredName());
        }
        return new Stored(repository, size[0], sha256[0], chosen, stored.file().sizeBytes(), true, stored.keyId(),
                stored.storedName());
    }

    /** The first-push-wins rule: a push of a recorded name must bring the recorded content. */
    static void requireSame(WalFile recorded, long size, String sha256) {
        if (recorded.getSizeBytes() != size || !recorded.getSha256().equals(sha256)) {
            throw new WalConflict(recorded.getName(), recorded.getSha256(), sha256);
        }
    }

    /**
     * Removes what a push stored when another push's file is the recorded one ({@code recorded}, null when no
     * row lists the name now); a failure is only logged, the sweep of unrecorded files takes it later.
     */
    void discard(String cluster, WalFileName file, Stored stored, WalFile recorded) {
        if (recorded != null && recorded.getRepository().equals(stored.repository())
                && recorded.getStoredName().equals(stored.storedName())) {
            return;
        }
        try {
            storage.deleteWal(stored.repository(), cluster, WalArchiveService.timelineDir(file), stored.storedName());
        } catch (IOException | RuntimeException e) {
            log.warn("Could not remove the bytes of a push of WAL file {} of cluster '{}' that another push's file "
                    + "was recorded before (stored as {}): {}", file.name(), cluster, stored.storedName(), e.toString());
        }
    }

    /**
     * Opens an archived file's original bytes: only a file the catalog lists, the stored file it recorded (one
     * stored and not recorded, cut off or beaten by another push, is no archived file);
     * {@link java.nio.file.NoSuchFileException} when there is none.
     */
    InputStream open(String cluster, WalFileName file) throws IOException {
        Optional<WalFile> listed = files.findById(new WalFile.Key(cluster, file.name()));
        if (listed.isEmpty()) {
            throw new java.nio.file.NoSuchFileException(file.name(), null, "not recorded in the archive");
        }
        return open(cluster, listed.get());
    }

    /**
     * Opens a listed file's original bytes, decoded with the codec the catalog recorded for it; from a copy in
     * another repository when the file is gone from its own.
     */
    InputStream open(String cluster, WalFile f) throws IOException {
        WalFileName name = WalFileName.parse(f.getName());
        try {
            return openStored(f.getRepository(), cluster, name, f.getStoredName(), f.getCodec());
        } catch (java.nio.file.NoSuchFileException missing) {
            // a re-encryption may have switched the row to new bytes, and deleted the old ones, since it was read
            Optional<String> now = copies.storedNameNow(cluster, f.getName(), f.getRepository());
            if (now.isPresent() && !now.get().equals(f.getStoredName())) {
                return openStored(f.getRepository(), cluster, name, now.get(), f.getCodec());
            }
            for (WalCopies.Copy copy : copies.copiesOf(cluster, f.getName(), f.getStoredName())) {
                String repository = copy.repository();
                try {
                    InputStream in = openStored(repository, cluster, name, copy.storedName(), f.getCodec());
                    log.warn("WAL file {} of cluster '{}' is missing from repository '{}': read from its copy in '{}'",
                            f.getName(), cluster, f.getRepository(), repository);
                    return in;
                } catch (java.nio.file.NoSuchFileException alsoMissing) {
                    missing.addSuppressed(alsoMissing);
                }
            }
            throw missing;
        }
    }

    /** A stored file's original bytes: the store decodes them with the codec the catalog recorded. */
    private InputStream openStored(String repository, String cluster, WalFileName file, String storedName,
            Codec codec) throws IOException {
        return storage.openWal(repository, cluster, WalArchiveService.timelineDir(file), storedName, codec);
    }
}
