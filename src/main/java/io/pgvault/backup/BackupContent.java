package io.pgvault.backup;

import io.pgvault.blocks.BlockManifest;
import io.pgvault.blocks.BlockStores;
import io.pgvault.blocks.ManifestTar;
import io.pgvault.storage.BackupStorage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A finished backup's bytes: its single file as is, or all its files as one tar stream. A BASE backup in the block
 * store (format BLOCKS) is the tar of its data directory written from its manifest and blocks ({@link ManifestTar}),
 * what {@code tar -x} unpacks into a data directory as a TAR backup's base.tar (pg_wal and backup_manifest inside).
 */
public final class BackupContent {

    private final BackupView backup;
    private final BackupStorage storage;
    private final BlockStores blocks;

    BackupContent(BackupView backup, BackupStorage storage, BlockStores blocks) {
        this.backup = backup;
        this.storage = storage;
        this.blocks = blocks;
    }

    /** The same content, read from {@code source} instead: the backup as one of its copies holds it. */
    public BackupContent from(java.util.function.UnaryOperator<BackupView> source) {
        return new BackupContent(source.apply(backup), storage, blocks);
    }

    private boolean inBlockStore() {
        return backup.kind() == BackupKind.BASE && backup.format() == DumpFormat.BLOCKS;
    }

    /** The repository the bytes are read from. */
    public String repository() {
        return backup.repository();
    }

    public boolean isSingleFile() {
        return backup.files().size() == 1 && !inBlockStore();
    }

    public String fileName() {
        String base = backup.cluster() + "-" + backup.kind().name().toLowerCase() + "-" + backup.id();
        return isSingleFile() ? base + "-" + backup.files().get(0).path() : base + ".tar";
    }

    /** The exact length for a single file; -1 for a tar stream. */
    public long length() {
        return isSingleFile() ? backup.files().get(0).sizeBytes() : -1;
    }

    public void writeTo(OutputStream out) throws IOException {
        if (inBlockStore()) {
            BlockManifest manifest;
            try (InputStream in = storage.open(backup.repository(), backup.location(), BlockManifest.FILE)) {
                manifest = BlockManifest.readFrom(in);
            }
            try (InputStream tar = ManifestTar.open(blocks.of(backup.repository()), manifest, e -> true,
                    BlockStores.WORKERS, n -> { })) {
                tar.transferTo(out);
            }
            return;
        }
        if (isSingleFile()) {
            try (InputStream in = storage.open(backup.repository(), backup.location(), backup.files().get(0).path())) {
                in.transferTo(out);
            }
            return;
        }
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        for (BackupFile file : backup.files()) {
            TarArchiveEntry entry = new TarArchiveEntry(file.path());
            entry.setSize(file.sizeBytes());
            // the backup's end, not the download's time: every download of a backup is the same bytes
            if (backup.finishedAt() != null) {
                entry.setModTime(java.nio.file.attribute.FileTime.from(backup.finishedAt()));
            }
            tar.putArchiveEntry(entry);
            try (InputStream in = storage.open(backup.repository(), backup.location(), file.path())) {
                in.transferTo(tar);
            }
            tar.closeArchiveEntry();
        }
        tar.finish();
        tar.flush();
    }
}
