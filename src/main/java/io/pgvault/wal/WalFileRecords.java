package io.pgvault.wal;

import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.storage.BackupStorage;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Keeps the archive's rows and its stored files in step, across instances that share catalog and storage: a
 * row is never without its file. Retention takes rows out under the cluster's archive lock and deletes their
 * files once that has committed (a crash leaves an orphan file, never a row without its file), and a push
 * stores its file before it records it. Where the two cross, archive_command pushing a segment again would
 * record a file that retention is about to delete, or has just deleted. So both ends take the cluster's lock
 * once more, for one file at a time: a push records its file only while it is still in storage (sharing the
 * lock, so pushes do not wait for each other), and retention deletes a file only while no row lists it.
 */
@Component
class WalFileRecords {

    private final ClusterService clusters;
    private final WalFileRepository files;
    private final BackupStorage storage;
    private final Clock clock;
    private final WalCopies copies;

    WalFileRecords(ClusterService clusters, WalFileRepository files, BackupStorage storage, Clock clock,
            WalCopies copies) {
        this.copies = copies;
        this.clusters = clusters;
        this.files = files;
        this.storage = storage;
        this.clock = clock;
    }

    /** What {@link #record} found: it inserted the row, a row listed the file already, or the file was gone. */
    enum Recorded { INSERTED, LISTED, GONE }

    /**
     * Records a stored file unless a row lists it already, and only while the file is still in storage: GONE when
     * retention removed it after this push stored it, and then nothing is recorded. A concurrent identical push
     * may insert the row first: the commit then fails with a
     * {@link org.springframework.dao.DataIntegrityViolationException}.
     */
    @Transactional
    public Recorded record(String cluster, WalFileName file, WalBytes.Stored stored) throws IOException {
        clusters.shareArchive(cluster);
        if (files.existsById(new WalFile.Key(cluster, file.name()))) {
            return Recorded.LISTED;
        }
        if (!storage.hasWal(stored.repository(), cluster, WalArchiveService.timelineDir(file), stored.storedName())) {
            return Recorded.GONE;
        }
        files.save(new WalFile(cluster, file, stored, clock.instant()));
        return Recorded.INSERTED;
    }

    /** The rows of segments (and .partial and .backup files) of timelines up to {@code timeline} before a segment. */
    public List<WalFile> before(String cluster, long timeline, String firstKept) {
        ClusterView view = clusters.get(cluster);
        long segmentSize = view.walSegmentSize() == null ? WalArchiveService.DEFAULT_SEGMENT_SIZE
                : view.walSegmentSize();
        long keep = WalFileName.parse(firstKept).position(segmentSize);
        return files.findByClusterOrderByName(cluster).stream()
                .filter(f -> f.getKind() != WalFileKind.HISTORY && f.getTimeline() <= timeline)
                .filter(f -> WalFileName.parse(f.getName()).position(segmentSize) < keep)
                .toList();
    }

    /** Takes the rows {@link #before} lists out, in the caller's transaction (which holds the archive lock). */
    public List<WalArchiveService.Removed> removeBefore(String cluster, long timeline, String firstKept) {
        List<WalArchiveService.Removed> removed = new ArrayList<>();
        for (WalFile f : before(cluster, timeline, firstKept)) {
            files.delete(f);
            removed.add(new WalArchiveService.Removed(cluster, f.getName(), f.getRepository(), f.getStoredName()));
        }
        return removed;
    }

    /** Deletes the stored file of a row retention took out, unless a push has listed it again; true when it went. */
    @Transactional
    public boolean deleteUnlisted(WalArchiveService.Removed removed) throws IOException {
        clusters.lockArchive(removed.cluster());
        if (files.existsById(new WalFile.Key(removed.cluster(), removed.name()))) {
            return false;
        }
        copies.deleteCopies(removed.cluster(), removed.name(), removed.storedName());
        storage.deleteWal(removed.repository(), removed.cluster(),
                WalArchiveService.timelineDir(WalFileName.parse(removed.name())), removed.storedName());
        return true;
    }
}
