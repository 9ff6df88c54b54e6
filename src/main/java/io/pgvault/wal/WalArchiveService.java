package io.pgvault.wal;

import io.pgvault.api.BusyException;
import io.pgvault.api.ContentTooLargeException;
import io.pgvault.api.NotFoundException;
import io.pgvault.api.UnprocessableContentException;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.swagger.v3.oas.annotations.media.Schema;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import io.pgvault.storage.Repositories;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The WAL archive: durable pushes from archive_command, fetches for restore_command, and its summary. */
@Service
public class WalArchiveService {

    static final long DEFAULT_SEGMENT_SIZE = 16L * 1024 * 1024;
    private static final Logger log = LoggerFactory.getLogger(WalArchiveService.class);

    private final ClusterService clusters;
    private final WalFileRepository files;
    private final Clock clock;
    private final BaseBackupCatalog baseBackups;
    private final ApplicationEventPublisher events;
    private final WalFileRecords records;
    private final WalBytes walBytes;
    private final Repositories repositories;
    /** Tests only: runs between storing a push and recording it, the moment retention may come in between. */
    private volatile BiConsumer<String, String> storedNotRecorded = (cluster, name) -> { };

    private final org.springframework.beans.factory.ObjectProvider<ProvenPoints> proven;

    WalArchiveService(ClusterService clusters, WalFileRepository files, Clock clock,
            BaseBackupCatalog baseBackups, ApplicationEventPublisher events, WalFileRecords records, WalBytes bytes,
            Repositories repositories, org.springframework.beans.factory.ObjectProvider<ProvenPoints> proven) {
        this.proven = proven;
        this.repositories = repositories;
        this.records = records;
        this.walBytes = bytes;
        this.baseBackups = baseBackups;
        this.events = events;
        this.clusters = clusters;
        this.files = files;
        this.clock = clock;
    }

    /** The outcome of a push. */
    @Schema(name = "WalPushed", description = "An archived WAL file: its kind, timeline, size and SHA-256 of the "
            + "content, and whether this push stored it (false: the same content was archived already)")
    public record Pushed(
            @Schema(description = "the file name")
            String name,
            @Schema(description = "what the file is")
            WalFileKind kind,
            @Schema(description = "its timeline")
            long timeline,
            @Schema(description = "its size in bytes, as pushed")
            long sizeBytes,
            @Schema(description = "SHA-256 (hex) of the content as pushed")
            String sha256,
            @Schema(description = "true: stored by this push (201); false: the same content was archived "
                    + "already (200)")
            boolean created) {
    }

    /** As {@link #push(String, String, long, InputStream)}, for a body of unknown length. */
    public Pushed push(String cluster, String name, InputStream content) throws IOException {
        return push(cluster, name, -1, content);
    }

    /**
     * Stores a pushed file durably, then records it. Identical re-pushes succeed; different content is a
     * conflict. The content is checked while it streams in ({@link WalPushRules}); a file that is not what its
     * name says is refused and leaves nothing behind. {@code declaredLength}: the Content-Length, or -1.
     */
    public Pushed push(String cluster, String name, long declaredLength, InputStream content) throws IOException {
        ClusterView view = clusters.get(cluster);
        WalFileName file = WalFileName.parse(name);
        WalBytes.Stored stored;
        try {
            WalPushRules.Target target = new WalPushRules.Target(cluster,
                    view.walSegmentSize() == null ? DEFAULT_SEGMENT_SIZE : view.walSegmentSize(),
                    view.systemIdentifier());
            stored = walBytes.store(repositories.target(view.repository()), cluster, file, WalPushRules.checked(target, file, declaredLength, content));
        } catch (UnprocessableContentException | ContentTooLargeException | WalPageHeader.SystemIdentifierMismatch e) {
            // archive_command's curl shows only the status: the reason goes to the log as well
            log.warn("WAL push of {} to cluster '{}' refused: {}", name, cluster, e.getMessage());
            throw e;
        }
        if (!stored.created()) {
            return new Pushed(name, file.kind(), file.timeline(), stored.sizeBytes(), stored.sha256(), false);
        }
        storedNotRecorded.accept(cluster, name);
        boolean inserted = record(cluster, file, stored);
        if (inserted) {
            events.publishEvent(new WalArchived(cluster, name, file.kind()));
        }
        return new Pushed(name, file.kind(), file.timeline(), stored.sizeBytes(), stored.sha256(), inserted);
    }

    /** Tests only: see {@link #storedNotRecorded}; called with (cluster, name). */
    void onStoredNotRecorded(BiConsumer<String, String> hook) {
        this.storedNotRecorded = hook;
    }

    /**
     * Opens an archived file's original bytes for restore_command, exactly the stored file the catalog recorded;
     * a file never archived (or stored by a push that never recorded it) is not found.
     */
    public InputStream fetch(String cluster, String name) throws IOException {
        ClusterView view = clusters.get(cluster);
        WalFileName file = WalFileName.parse(name);
        try {
            return walBytes.open(cluster, file);
        } catch (NoSuchFileException e) {
            throw new NotFoundException("WAL file " + name + " is not in the archive of cluster '" + cluster + "'");
        }
    }

    /**
     * Records a stored file unless a row lists the name already (a concurrent push recorded it first), and only
     * if it is still in storage: if retention removed it since this push stored it, a 503 makes curl push it
     * again. The catalog decides between concurrent pushes: the first row is the archived file, another push's
     * bytes are removed, and a push of different content is a {@link WalConflict}. True when this push listed it.
     */
    private boolean record(String cluster, WalFileName file, WalBytes.Stored stored) throws IOException {
        WalFileRecords.Recorded recorded;
        try {
            recorded = records.record(cluster, file, stored);
        } catch (DataIntegrityViolationException e) {
            if (!files.existsById(new WalFile.Key(cluster, file.name()))) {
                walBytes.discard(cluster, file, stored, null);
                throw e;
            }
            recorded = WalFileRecords.Recorded.LISTED;
        } catch (org.springframework.dao.PessimisticLockingFailureException
                | org.springframework.dao.QueryTimeoutException e) {
            // the row was not written (a lock wait or the statement timed out, its transaction rolled back): the
            // bytes this push stored would stay unrecorded until the sweep, and curl's retry stores its own. Removed
            // unless a row names them after all; kept for the sweep when the catalog cannot say
            try {
                walBytes.discard(cluster, file, stored, files.findById(new WalFile.Key(cluster, file.name())).orElse(null));
            } catch (org.springframework.dao.DataAccessException unreachable) {
                log.warn("WAL push of {} to cluster '{}' could not be recorded and the catalog cannot say whether "
                        + "another push was: its bytes ({}) are left for the sweep", file.name(), cluster,
                        stored.storedName());
            }
            throw e;
        }
        if (recorded == WalFileRecords.Recorded.GONE) {
            log.warn("WAL push of {} to cluster '{}' crossed retention, which removed the file before the push "
                    + "recorded it; answered 503 so that it is pushed again", file.name(), cluster);
            throw new BusyException("WAL file " + file.name() + " of cluster '" + cluster + "' was removed by "
                    + "retention (it lies before the first segment of the oldest BASE backup kept) after this push "
                    + "stored it and before it was recorded; nothing is archived. Push it again: it is stored anew", 1);
        }
        if (recorded == WalFileRecords.Recorded.INSERTED) {
            return true;
        }
        WalFile first = files.findById(new WalFile.Key(cluster, file.name())).orElse(null);
        walBytes.discard(cluster, file, stored, first);
        if (first == null) {
            throw new BusyException("WAL file " + file.name() + " of cluster '" + cluster + "' was recorded by "
                    + "another push and removed by retention while this push stored it; nothing of this push is "
                    + "kept. Push it again", 1);
        }
        try {
            WalBytes.requireSame(first, stored.sizeBytes(), stored.sha256());
        } catch (WalConflict e) {
            log.warn("WAL push of {} to cluster '{}' refused: {}", file.name(), cluster, e.getMessage());
            throw e;
        }
        return false;
    }

    /** Per timeline: first and last segment, the gaps between them, and how long ago the last file came. */
    @Transactional(readOnly = true)
    public ArchiveSummary summary(String cluster) {
        ClusterView view = clusters.get(cluster);
        long segmentSize = view.walSegmentSize() == null ? DEFAULT_SEGMENT_SIZE : view.walSegmentSize();
        Map<Long, List<WalFile>> byTimeline = new TreeMap<>();
        Instant last = null;
        long count = 0;
        long bytes = 0;
        for (WalFile f : files.findByClusterOrderByName(cluster)) {
            count++;
            bytes += f.getSizeBytes();
            last = last == null || f.getArchivedAt().isAfter(last) ? f.getArchivedAt() : last;
            if (f.getKind() == WalFileKind.SEGMENT) {
                byTimeline.computeIfAbsent(f.getTimeline(), t -> new ArrayList<>()).add(f);
            }
        }
        List<ArchiveSummary.Timeline> timelines = new ArrayList<>();
        byTimeline.forEach((timeline, segments) -> timelines.add(ArchiveTimelines.of(timeline, segments, segmentSize)));
        Long lag = last == null ? null : Duration.between(last, clock.instant()).toSeconds();
        List<ArchiveSummary.DamagedSegment> damaged = files.findByClusterAndDamageIsNotNullOrderByName(cluster)
                .stream().map(f -> new ArchiveSummary.DamagedSegment(f.getName(), f.getTimeline(), f.getArchivedAt(),
                        f.getDamage())).toList();
        return new ArchiveSummary(cluster, segmentSize, count, bytes, last, lag, recoveryWindow(cluster),
                timelines, null, damaged, proven.getIfAvailable(() -> c -> java.util.Optional.empty()).of(cluster)
                        .orElse(null));
    }

    /**
     * The whole archive as recoveries see it: every timeline's segments with their arrival and WAL times, and
     * the archived timeline histories.
     */
    @Transactional(readOnly = true)
    public ArchivedWal archived(String cluster) {
        ClusterView view = clusters.get(cluster);
        long segmentSize = view.walSegmentSize() == null ? DEFAULT_SEGMENT_SIZE : view.walSegmentSize();
        Map<Long, NavigableMap<Long, ArchivedWal.Segment>> segments = new TreeMap<>();
        Map<Long, TimelineHistory> histories = new TreeMap<>();
        for (WalFile f : files.findByClusterOrderByName(cluster)) {
            if (f.getKind() == WalFileKind.SEGMENT) {
                segments.computeIfAbsent(f.getTimeline(), t -> new TreeMap<>()).put(
                        WalFileName.parse(f.getName()).position(segmentSize), new ArchivedWal.Segment(f.getName(),
                                f.getArchivedAt(), f.getFirstCommitAt(), f.getLastCommitAt(), f.getScannedAt() != null
                                        && f.getScanNote() == null, f.getDamage()));
            } else if (f.getKind() == WalFileKind.HISTORY) {
                history(cluster, f).ifPresent(h -> histories.put(h.timeline(), h));
            }
        }
        return new ArchivedWal(segmentSize, segments, histories);
    }

    private java.util.Optional<TimelineHistory> history(String cluster, WalFile f) {
        WalFileName name = WalFileName.parse(f.getName());
        try (InputStream in = walBytes.open(cluster, f)) {
            return java.util.Optional.of(TimelineHistory.parse(name.timeline(),
                    new String(in.readNBytes(1024 * 1024), java.nio.charset.StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /** The span a recovery can reach (see {@link RecoveryWindows}); null without a BASE backup. */
    private ArchiveSummary.RecoveryWindow recoveryWindow(String cluster) {
        List<BaseBackupCatalog.BaseBackupEnd> backups = baseBackups.baseBackups(cluster);
        return backups.isEmpty() ? null : RecoveryWindows.of(backups, archived(cluster));
    }

    /** An archived file that retention took out of the catalog; its bytes go once that has committed. */
    public record Removed(String cluster, String name, String repository, String storedName) {

        public Removed(String cluster, String name, String repository) {
            this(cluster, name, repository, name);
        }
    }

    /**
     * Retention: takes out of the catalog the archived segments (and .partial and .backup files) of timelines
     * up to {@code timeline} that lie before {@code firstKept}, the first segment the oldest BASE backup still
     * needed needs. History files always stay. Run it in the transaction that decided what is needed; delete
     * the files with {@link #deleteFiles} after it committed, so a crash leaves at most an orphan file, never
     * an entry without its file.
     */
    public List<Removed> removeRowsBefore(String cluster, long timeline, String firstKept) {
        return records.removeBefore(cluster, timeline, firstKept);
    }

    /**
     * Deletes the stored files of entries {@link #removeRowsBefore} took out, each unless a push has recorded it
     * again since (archive_command may send a segment twice): that file stays with its row, for the next
     * retention run. Returns the files that stayed.
     */
    public List<Removed> deleteFiles(List<Removed> removed) throws IOException {
        List<Removed> kept = new ArrayList<>();
        for (Removed r : removed) {
            if (!records.deleteUnlisted(r)) {
                kept.add(r);
            }
        }
        return kept;
    }

    /** The segments {@link #removeRowsBefore} would remove. */
    @Transactional(readOnly = true)
    public long countBefore(String cluster, long timeline, String firstKept) {
        return records.before(cluster, timeline, firstKept).size();
    }

    /** What a verification of the archive found: files re-read, and those that are gone or no longer match. */
    public record Verified(long files, long bytes, List<String> corrupt, List<String> missing) {

        public boolean passed() {
            return corrupt.isEmpty() && missing.isEmpty();
        }
    }

    /**
     * Re-reads every archived file of the cluster, decoded, and compares the original's size and SHA-256 with
     * those recorded when it was pushed: a flipped byte, a truncated or a vanished file is reported by name.
     */
    public Verified verify(String cluster, io.pgvault.job.Cancellation cancellation,
            java.util.function.LongConsumer bytesDone, java.util.function.Consumer<String> log) throws IOException {
        clusters.get(cluster);
        List<String> corrupt = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        long count = 0;
        long bytes = 0;
        for (WalFile f : files.findByClusterOrderByName(cluster)) {
            cancellation.throwIfCancelled();
            WalFileName name = WalFileName.parse(f.getName());
            long[] counted = new long[1];
            String sha;
            try (InputStream in = walBytes.open(cluster, f)) {
                sha = io.pgvault.storage.Sha256.of(in, counted);
            } catch (NoSuchFileException e) {
                if (!files.existsById(new WalFile.Key(cluster, f.getName()))) {
                    continue; // retention removed it meanwhile
                }
                missing.add(f.getName());
                log.accept("pgvault: " + f.getName() + ": MISSING from storage");
                continue;
            } catch (IOException e) {
                // a stored file that no longer decodes (zstd checks its frames as it reads them)
                corrupt.add(f.getName());
                log.accept("pgvault: " + f.getName() + ": CORRUPT (stored " + f.getCodec() + ", does not decode: "
                        + e.getMessage() + ")");
                count++;
                continue;
            }
            long size = counted[0];
            if (size != f.getSizeBytes() || !sha.equals(f.getSha256())) {
                corrupt.add(f.getName());
                log.accept("pgvault: " + f.getName() + ": CORRUPT (" + size + " bytes, SHA-256 " + sha + "; recorded "
                        + f.getSizeBytes() + " bytes, " + f.getSha256() + ")");
            }
            count++;
            bytes += size;
            bytesDone.accept(bytes);
        }
        return new Verified(count, bytes, corrupt, missing);
    }

    /** The storage directory of the file's timeline: {@code {cluster}/wal/{timeline}/{file}}. */
    static String timelineDir(WalFileName file) {
        return String.format("%08X", file.timeline());
    }
}
