package io.pgvault.backup;

import io.pgvault.api.ConflictException;
import io.pgvault.api.NotFoundException;
import io.pgvault.cluster.RetentionPolicy;
import io.pgvault.blocks.BlockStores;
import io.pgvault.storage.BackupStorage;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Sort;
import org.springframework.data.jpa.domain.Specification;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * The backup catalog as every feature reads it: one entry, a page of entries, a cluster's successful or base
 * backups, the row counts recorded with a backup, a finished backup's files to download, and the statistics of
 * earlier backups of the same spec. Read-only: nothing here starts, changes or removes a backup, so that the
 * twenty-odd features that only look (restores, recoveries, verification, retention, metrics...) depend on
 * nothing that could. Starting is {@link BackupService}; deleting and pinning, {@link BackupLifecycle}; the
 * backup job's own writes, {@link BackupLedger}.
 */
@Service
@Transactional(readOnly = true)
public class BackupCatalog {

    private final BackupRepository backups;
    private final BackupStorage storage;
    private final JsonMapper json;
    private final BackupCopies copies;
    private final BlockStores blockStores;
    private final PendingRowCounts pendingRows;

    BackupCatalog(BackupRepository backups, BackupStorage storage, JsonMapper json, BackupCopies copies,
            BlockStores blockStores, PendingRowCounts pendingRows) {
        this.pendingRows = pendingRows;
        this.blockStores = blockStores;
        this.backups = backups;
        this.storage = storage;
        this.json = json;
        this.copies = copies;
    }

    public BackupView get(UUID id) {
        return view(find(id));
    }

    /** The entry, if the catalog has it. */
    public Optional<BackupView> lookup(UUID id) {
        return backups.findById(id).map(this::view);
    }

    public Page<BackupView> list(String cluster, BackupKind kind, BackupStatus status, VerificationStatus verification,
            Pageable page) {
        Specification<Backup> spec = (root, query, cb) -> cb.and(
                cluster == null ? cb.conjunction() : cb.equal(root.get("cluster"), cluster),
                kind == null ? cb.conjunction() : cb.equal(root.get("kind"), kind),
                status == null ? cb.conjunction() : cb.equal(root.get("status"), status),
                verification == null ? cb.conjunction() : cb.equal(root.get("verificationStatus"), verification));
        Page<Backup> found = backups.findAll(spec, page);
        Map<UUID, List<BackupCopy>> copied = copies.of(found.map(Backup::getId).getContent());
        return found.map(b -> view(b, copied.getOrDefault(b.getId(), List.of())));
    }

    /** The size of the newest successful backup of the same cluster, kind, database and format; null: none. */
    public Long lastSizeOfSameSpec(UUID id) {
        Backup b = find(id);
        Specification<Backup> spec = (root, query, cb) -> cb.and(cb.equal(root.get("cluster"), b.getCluster()),
                cb.equal(root.get("kind"), b.getKind()), cb.equal(root.get("status"), BackupStatus.SUCCEEDED),
                b.getDatabase() == null ? cb.isNull(root.get("database")) : cb.equal(root.get("database"), b.getDatabase()),
                b.getFormat() == null ? cb.isNull(root.get("format")) : cb.equal(root.get("format"), b.getFormat()));
        return backups.findAll(spec, PageRequest.of(0, 1, Sort.by(Sort.Direction.DESC, "finishedAt"))).stream()
                .map(Backup::getSizeBytes).findFirst().orElse(null);
    }

    /** Up to {@code limit} earlier SUCCEEDED backups of the same cluster, kind, database and format, newest first. */
    public List<BackupView> earlierOfSameSpec(UUID id, int limit) {
        Backup b = find(id);
        Specification<Backup> spec = (root, query, cb) -> cb.and(cb.equal(root.get("cluster"), b.getCluster()),
                cb.equal(root.get("kind"), b.getKind()), cb.equal(root.get("status"), BackupStatus.SUCCEEDED),
                cb.notEqual(root.get("id"), id),
                cb.lessThanOrEqualTo(root.get("finishedAt"), b.getFinishedAt()),
                b.getDatabase() == null ? cb.isNull(root.get("database")) : cb.equal(root.get("database"), b.getDatabase()),
                b.getFormat() == null ? cb.isNull(root.get("format")) : cb.equal(root.get("format"), b.getFormat()));
        return backups.findAll(spec, PageRequest.of(0, limit, Sort.by(Sort.Direction.DESC, "finishedAt")))
                .map(this::view).getContent();
    }

    /** The row counts recorded from the source when the backup was taken (empty when none were, or not yet). */
    public List<TableRows> tableRows(UUID id) {
        find(id);
        return List.copyOf(backups.tableRowsOf(id));
    }

    /**
     * {@link #tableRows}, for a job that compares rows: a DUMP's counts are taken just after it SUCCEEDED, and for
     * one being counted on this instance this waits for them (at most {@link PendingRowCounts#WAIT}), outside any
     * transaction. Not for requests, nor inside a transaction of the caller's (that one's connection and locks
     * would be held meanwhile).
     */
    @Transactional(propagation = Propagation.NOT_SUPPORTED)
    public List<TableRows> awaitTableRows(UUID id) {
        pendingRows.await(id, PendingRowCounts.WAIT);
        // a call on this object itself: each of its reads is a transaction of the repository's own
        return tableRows(id);
    }

    /** The stored files of a finished backup, to download. */
    public BackupContent content(UUID id) {
        Backup backup = find(id);
        if (backup.getStatus() != BackupStatus.SUCCEEDED) {
            throw new ConflictException("backup " + id + " is " + backup.getStatus() + "; it has no content");
        }
        return new BackupContent(view(backup), storage, blockStores);
    }

    /** A cluster's SUCCEEDED backups, newest first: what retention decides about. */
    public List<BackupView> succeeded(String cluster) {
        Specification<Backup> spec = (root, query, cb) -> cb.and(cb.equal(root.get("cluster"), cluster),
                cb.equal(root.get("status"), BackupStatus.SUCCEEDED));
        return views(backups.findAll(spec, Sort.by(Sort.Direction.DESC, "finishedAt", "id")));
    }

    /** The cluster's SUCCEEDED BASE backups, oldest first: what recoveries start from. */
    public List<BackupView> baseBackups(String cluster) {
        Specification<Backup> spec = (root, query, cb) -> cb.and(cb.equal(root.get("cluster"), cluster),
                cb.equal(root.get("kind"), BackupKind.BASE), cb.equal(root.get("status"), BackupStatus.SUCCEEDED),
                cb.isNotNull(root.get("lastWal")));
        return backups.findAll(spec, Sort.by("finishedAt", "id")).stream().map(this::view).toList();
    }

    Backup find(UUID id) {
        return backups.findById(id).orElseThrow(() -> notFound(id));
    }

    /** Views of many backups, their copies read in one query. */
    private List<BackupView> views(List<Backup> found) {
        Map<UUID, List<BackupCopy>> copied = copies.of(found.stream().map(Backup::getId).toList());
        return found.stream().map(b -> view(b, copied.getOrDefault(b.getId(), List.of()))).toList();
    }

    BackupView view(Backup b) {
        return view(b, copies.of(b.getId()));
    }

    private BackupView view(Backup b, List<BackupCopy> copiesOfB) {
        return new BackupView(b.getId(), b.getCluster(), b.getKind(), b.getFormat(), b.getDatabase(),
                json.readValue(b.getOptions(), BackupSpec.class), b.getStatus(), b.getQueuedAt(), b.getStartedAt(),
                b.getFinishedAt(), b.getLocation(), b.getSizeBytes(), b.getSha256(), List.copyOf(b.getFiles()),
                b.getServerVersion(), b.getToolVersion(), b.getStartLsn(), b.getStopLsn(), b.getTimeline(),
                b.getFirstWal(), b.getLastWal(), b.getVerificationStatus(), b.getVerificationLevel(),
                b.getVerifiedAt(), b.getVerificationDetail(), b.getError(), b.getLabel(), b.isPinned(), b.getJobId(),
                b.getScheduleId(), b.getScheduledFor(), b.getSizeAnomaly(), b.getDrillSeconds(),
                b.getServerConfig() == null ? null : json.readValue(b.getServerConfig(), ServerConfig.class),
                b.getWarnings(), b.getRetentionPolicy() == null ? null : new RecordedRetention(
                        json.readValue(b.getRetentionPolicy(), RetentionPolicy.class), b.getRetentionTimeZone()),
                b.getRepository(), copiesOfB, b.getBackupType(), b.getReferenceId(), b.getDataSizeBytes());
    }

    static NotFoundException notFound(UUID id) {
        return new NotFoundException("no backup with id " + id);
    }
}
