package io.pgvault.backup.physical;

import io.pgvault.api.NotFoundException;
import io.pgvault.blocks.BlockManifest;
import io.pgvault.blocks.FileBlockReader;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.cluster.WalArchiveMode;
import io.pgvault.wal.Lsn;
import io.pgvault.wal.WalArchiveService;
import io.pgvault.wal.WalFileName;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * The WAL a host-read backup carries so that it restores on its own, as a FETCH backup of pg_basebackup does:
 * every segment from the one holding the start LSN through the one holding the stop LSN, read from the server's
 * pg_wal. A segment is taken from there only if its first page says it is that segment (a recycled file is
 * renamed to a future segment's name and rewritten); otherwise it comes from pgvault's own archive of the
 * cluster when the cluster archives to pgvault, and the backup fails, naming the segment, when it does not.
 */
@Component
class BackupWal {

    private final ClusterService clusters;
    private final WalArchiveService archive;

    BackupWal(ClusterService clusters, WalArchiveService archive) {
        this.clusters = clusters;
        this.archive = archive;
    }

    /** The segments as items of the backup ({@code pg_wal/<name>}), each opened when a worker reads it. */
    List<FileBlockReader.Item> segments(String cluster, Path dataDirectory, int timeline, Lsn start, Lsn stop,
            long mtime) {
        ClusterView view = clusters.get(cluster);
        Long configured = clusters.get(cluster).walSegmentSize();
        long size = configured == null ? PhysicalBackupRunner.DEFAULT_SEGMENT_SIZE : configured;
        boolean archives = view.walArchive() != null && view.walArchive() != WalArchiveMode.NONE;
        List<FileBlockReader.Item> items = new ArrayList<>();
        for (long seg = start.segment(size); seg <= stop.segmentEndingHere(size); seg++) {
            String name = WalFileName.segmentName(timeline, seg, size);
            Path file = dataDirectory.resolve("pg_wal").resolve(name);
            long segmentStart = seg * size;
            items.add(new FileBlockReader.Item(new BlockManifest.Entry("pg_wal/" + name, 'f', size, 0600, mtime, null,
                    null), () -> open(cluster, name, file, segmentStart, archives), null));
        }
        return items;
    }

    private InputStream open(String cluster, String name, Path file, long segmentStart, boolean archives)
            throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(header, 0);
            // XLogPageHeaderData: magic (2), info (2), timeline (4), pageaddr (8)
            if (header.position() == 16 && header.getLong(8) == segmentStart) {
                return java.nio.file.Files.newInputStream(file);
            }
        } catch (NoSuchFileException recycled) {
            // the archive may have it
        }
        if (!archives) {
            throw new IOException("WAL segment " + name + " was recycled before pgvault read it, and cluster '"
                    + cluster + "' does not archive to pgvault: raise wal_keep_size (or archive to pgvault) and "
                    + "take the backup again");
        }
        try {
            return archive.fetch(cluster, name);
        } catch (NotFoundException e) {
            throw new IOException("WAL segment " + name + " was recycled before pgvault read it and is not (yet) in "
                    + "pgvault's archive of cluster '" + cluster + "': raise wal_keep_size and take the backup again");
        }
    }
}
