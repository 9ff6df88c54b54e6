package io.pgvault.wal;

import io.pgvault.PgvaultProperties;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.Sha256;
import io.pgvault.storage.codec.Codec;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * The archive's bytes on their way to storage and back: segments are encoded (zstd by default) while the body
 * streams in, in the one pass that also hashes the original, and decoded while a fetch streams out. The catalog
 * keeps the original's size and SHA-256 and the codec per file, so what PostgreSQL pushed is what it gets back
 * and what verification checks, whatever the file was stored with. Storage judges no content: when a file of
 * the name is there already, this compares the originals, so an identical re-push is recognized even if the
 * setting changed since (the file stays as it was stored). History and .backup files, small text that a
 * person may want to read in the repository, are stored as they are.
 */
@Component
class WalBytes {

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

    /** A stored file: the original's size and SHA-256, how it is stored and its size there, and whether this push stored it. */
    record Stored(String repository, long sizeBytes, String sha256, Codec codec, long storedSizeBytes, boolean created,
            String keyId) {
    }

    /**
     * Stores a pushed file durably, encoded, from {@code content} (which checks itself as it is read). If the
     * name is archived already, the stored original must be the same, else {@link BackupStorage.WalConflict}.
     */
    Stored store(String repository, String cluster, WalFileName file, InputStream content) throws IOException {
        Codec chosen = file.kind() == WalFileKind.SEGMENT || file.kind() == WalFileKind.PARTIAL ? codec : Codec.NONE;
        MessageDigest digest = Sha256.newDigest();
        long[] size = {0};
        BackupStorage.WalStored stored = storage.storeWal(repository, cluster, WalArchiveService.timelineDir(file), file.name(),
                out -> {
                    try (OutputStream encoded = chosen.encode(out, level)) {
                        byte[] buffer = new byte[256 * 1024];
                        int n;
                        while ((n = content.read(buffer)) >= 0) {
                            digest.update(buffer, 0, n);
                            encoded.write(buffer, 0, n);
                            size[0] += n;
                        }
                    }
                });
        String sha256 = Sha256.hex(digest);
        if (stored.created()) {
            return new Stored(repository, size[0], sha256, chosen, stored.file().sizeBytes(), true, stored.keyId());
        }
        Stored there = hash(repository, cluster, file);
        if (!there.sha256().equals(sha256)) {
            throw new BackupStorage.WalConflict(file.name(), there.sha256(), sha256);
        }
        return there;
    }

    /**
     * Opens an archived file's original bytes; {@link java.nio.file.NoSuchFileException} when it is not stored.
     * A file the catalog does not list (cut off between storing and recording) is looked for in {@code unlisted},
     * the repository the cluster archives to.
     */
    InputStream open(String unlisted, String cluster, WalFileName file) throws IOException {
        Optional<WalFile> listed = files.findById(new WalFile.Key(cluster, file.name()));
        if (listed.isPresent()) {
            return open(cluster, listed.get());
        }
        BufferedInputStream in = new BufferedInputStream(openStored(unlisted, cluster, file), 64 * 1024);
        return Codec.detect(in).decode(in);
    }

    /**
     * Opens a listed file's original bytes, decoded with the codec the catalog recorded for it; from a copy in
     * another repository when the file is gone from its own.
     */
    InputStream open(String cluster, WalFile f) throws IOException {
        WalFileName name = WalFileName.parse(f.getName());
        try {
            return f.getCodec().decode(openStored(f.getRepository(), cluster, name));
        } catch (java.nio.file.NoSuchFileException missing) {
            for (String repository : copies.repositoriesOf(cluster, f.getName())) {
                try {
                    InputStream in = f.getCodec().decode(openStored(repository, cluster, name));
                    org.slf4j.LoggerFactory.getLogger(WalBytes.class).warn("WAL file {} of cluster '{}' is missing "
                            + "from repository '{}': read from its copy in '{}'", f.getName(), cluster,
                            f.getRepository(), repository);
                    return in;
                } catch (java.nio.file.NoSuchFileException alsoMissing) {
                    missing.addSuppressed(alsoMissing);
                }
            }
            throw missing;
        }
    }

    /** A stored file's original size and SHA-256, read through; {@code created} false. */
    private Stored hash(String repository, String cluster, WalFileName file) throws IOException {
        Optional<WalFile> listed = files.findById(new WalFile.Key(cluster, file.name()));
        Codec recorded = listed.map(WalFile::getCodec).orElse(null);
        String where = listed.map(WalFile::getRepository).orElse(repository);
        try (Counting raw = new Counting(openStored(where, cluster, file))) {
            BufferedInputStream buffered = new BufferedInputStream(raw, 64 * 1024);
            Codec stored = recorded != null ? recorded : Codec.detect(buffered);
            long[] size = new long[1];
            String sha256;
            try {
                sha256 = Sha256.of(stored.decode(buffered), size);
            } catch (IOException damaged) {
                // the stored file no longer decodes: not this push's content, and it is kept as it is
                sha256 = "unreadable (" + damaged.getMessage() + ")";
            }
            return new Stored(where, size[0], sha256, stored, raw.count, false, null);
        }
    }

    private InputStream openStored(String repository, String cluster, WalFileName file) throws IOException {
        return storage.openWal(repository, cluster, WalArchiveService.timelineDir(file), file.name());
    }

    /** Counts the stored bytes a decoder reads. */
    private static final class Counting extends FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count += Math.max(n, 0);
            return n;
        }
    }
}
