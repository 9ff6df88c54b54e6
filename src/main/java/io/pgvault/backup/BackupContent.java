package io.pgvault.backup;

import io.pgvault.storage.BackupStorage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** A finished backup's bytes: its single file as is, or all its files as one tar stream. */
public final class BackupContent {

    private final BackupView backup;
    private final BackupStorage storage;

    BackupContent(BackupView backup, BackupStorage storage) {
        this.backup = backup;
        this.storage = storage;
    }

    /** The same content, read from {@code source} instead: the backup as one of its copies holds it. */
    public BackupContent from(java.util.function.UnaryOperator<BackupView> source) {
        return new BackupContent(source.apply(backup), storage);
    }

    /** The repository the bytes are read from. */
    public String repository() {
        return backup.repository();
    }

    public boolean isSingleFile() {
        return backup.files().size() == 1;
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
