package io.pgvault.wal;

import io.pgvault.api.NotFoundException;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.storage.BackupStorage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The WAL archive: durable pushes from archive_command, fetches for restore_command, and its summary. */
@Service
public class WalArchiveService {

    static final long DEFAULT_SEGMENT_SIZE = 16L * 1024 * 1024;

    private final ClusterService clusters;
    private final BackupStorage storage;
    private final WalFileRepository files;
    private final Clock clock;

    WalArchiveService(ClusterService clusters, BackupStorage storage, WalFileRepository files, Clock clock) {
        this.clusters = clusters;
        this.storage = storage;
        this.files = files;
        this.clock = clock;
    }

    /** The outcome of a push. */
    public record Pushed(String name, WalFileKind kind, long timeline, long sizeBytes, String sha256, boolean created) {
    }

    /** Stores a pushed file durably, then records it. Identical re-pushes succeed; different content is a conflict. */
    public Pushed push(String cluster, String name, InputStream content) throws IOException {
        clusters.get(cluster);
        WalFileName file = WalFileName.parse(name);
        BackupStorage.WalStored stored = storage.storeWal(cluster, timelineDir(file), name, content);
        record(cluster, file, stored);
        return new Pushed(name, file.kind(), file.timeline(), stored.file().sizeBytes(), stored.file().sha256(),
                stored.created());
    }

    /** Opens an archived file for restore_command; a file never archived is not found. */
    public InputStream fetch(String cluster, String name) throws IOException {
        clusters.get(cluster);
        WalFileName file = WalFileName.parse(name);
        try {
            return storage.openWal(cluster, timelineDir(file), name);
        } catch (NoSuchFileException e) {
            throw new NotFoundException("WAL file " + name + " is not in the archive of cluster '" + cluster + "'");
        }
    }

    /** Records a stored file once; a concurrent identical push may have recorded it first. */
    private void record(String cluster, WalFileName file, BackupStorage.WalStored stored) {
        if (files.existsById(new WalFile.Key(cluster, file.name()))) {
            return;
        }
        try {
            files.save(new WalFile(cluster, file, stored.file().sizeBytes(), stored.file().sha256(), clock.instant()));
        } catch (DataIntegrityViolationException e) {
            if (!files.existsById(new WalFile.Key(cluster, file.name()))) {
                throw e;
            }
        }
    }

    /** Per timeline: first and last segment, the gaps between them, and how long ago the last file came. */
    @Transactional(readOnly = true)
    public ArchiveSummary summary(String cluster) {
        ClusterView view = clusters.get(cluster);
        long segmentSize = view.walSegmentSize() == null ? DEFAULT_SEGMENT_SIZE : view.walSegmentSize();
        Map<Long, List<WalFileName>> byTimeline = new TreeMap<>();
        Instant last = null;
        long count = 0;
        long bytes = 0;
        Map<Long, Instant> lastByTimeline = new TreeMap<>();
        for (WalFile f : files.findByClusterOrderByName(cluster)) {
            count++;
            bytes += f.getSizeBytes();
            last = last == null || f.getArchivedAt().isAfter(last) ? f.getArchivedAt() : last;
            if (f.getKind() == WalFileKind.SEGMENT) {
                byTimeline.computeIfAbsent(f.getTimeline(), t -> new ArrayList<>()).add(WalFileName.parse(f.getName()));
                lastByTimeline.merge(f.getTimeline(), f.getArchivedAt(), (a, b) -> a.isAfter(b) ? a : b);
            }
        }
        List<ArchiveSummary.Timeline> timelines = new ArrayList<>();
        byTimeline.forEach((timeline, segments) -> {
            List<ArchiveSummary.Gap> gaps = new ArrayList<>();
            long previous = -1;
            for (WalFileName segment : segments) {
                long position = segment.position(segmentSize);
                if (previous >= 0 && position > previous + 1) {
                    gaps.add(new ArchiveSummary.Gap(WalFileName.segmentName(timeline, previous + 1, segmentSize),
                            WalFileName.segmentName(timeline, position - 1, segmentSize), position - previous - 1));
                }
                previous = position;
            }
            timelines.add(new ArchiveSummary.Timeline(timeline, segments.get(0).name(),
                    segments.get(segments.size() - 1).name(), segments.size(), gaps, lastByTimeline.get(timeline)));
        });
        Long lag = last == null ? null : Duration.between(last, clock.instant()).toSeconds();
        return new ArchiveSummary(cluster, segmentSize, count, bytes, last, lag, timelines);
    }

    private static String timelineDir(WalFileName file) {
        return String.format("%08X", file.timeline());
    }
}
