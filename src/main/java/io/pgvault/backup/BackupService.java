package io.pgvault.backup;

import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.api.NotFoundException;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterTarget;
import io.pgvault.cluster.RetentionPolicy;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.Repositories;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Sort;
import org.springframework.data.jpa.domain.Specification;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/** Starts backups and answers questions about the catalog. */
@Service
public class BackupService {

    private static final Logger log = LoggerFactory.getLogger(BackupService.class);

    private final BackupRepository backups;
    private final ClusterAccess clusters;
    private final JobService jobs;
    private final BackupStorage storage;
    private final JsonMapper json;
    private final Clock clock;
    private final ApplicationEventPublisher events;
    private final Repositories repositories;
    private final BackupCopies copies;
    private final BackupFileRemoval removal;

    private final io.pgvault.blocks.BlockStores blockStores;

    BackupService(BackupRepository backups, ClusterAccess clusters, JobService jobs, BackupStorage storage,
            JsonMapper json, Clock clock, ApplicationEventPublisher events, Repositories repositories,
            BackupCopies copies, BackupFileRemoval removal, io.pgvault.blocks.BlockStores blockStores) {
        this.blockStores = blockStores;
        this.removal = removal;
        this.copies = copies;
        this.repositories = repositories;
        this.events = events;
        this.backups = backups;
        this.clusters = clusters;
        this.jobs = jobs;
        this.storage = storage;
        this.json = json;
        this.clock = clock;
    }

    /**
     * Fills in the compression method (ZSTD where pg_basebackup has it, 15 and later, else GZIP) and refuses
     * what this tool or server cannot do, before anything starts.
     */
    private static BackupSpec baseDefaults(BackupSpec spec, ClusterTarget target) {
        int tool = target.tools().major();
        int server = Integer.parseInt(target.serverVersion().split("\\.")[0]);
        CompressionMethod method = spec.compressionMethod();
        if (method == null) {
            method = tool >= 15 ? CompressionMethod.ZSTD : CompressionMethod.GZIP;
            spec = spec.withCompressionMethod(method);
        }
        if ((method == CompressionMethod.LZ4 || method == CompressionMethod.ZSTD) && tool < 15) {
            throw new InvalidRequestException("compressionMethod", method + " needs pg_basebackup 15 or later; the "
                    + "tools for this cluster are version " + target.tools().version());
        }
        if (spec.compressionWorkers() != null && method != CompressionMethod.ZSTD) {
            throw new InvalidRequestException("compressionWorkers", "compressionWorkers applies to ZSTD only; this "
                    + "backup would be compressed with " + method + " (pg_basebackup " + target.tools().version() + ")");
        }
        if (spec.compressAt() == CompressionSite.SERVER && tool < 15) {
            throw new InvalidRequestException("compressAt", "server-side compression needs pg_basebackup 15 or later; "
                    + "the tools for this cluster are version " + target.tools().version());
        }
        if (spec.compressAt() == CompressionSite.SERVER && server < 15) {
            throw new InvalidRequestException("compressAt", "server-side compression needs PostgreSQL 15 or later; "
                    + "this server is " + target.serverVersion());
        }
        return spec;
    }

    /**
     * A zstd BASE backup compresses on one thread per core of this host unless the request says otherwise
     * (libzstd's own threads, in pg_basebackup or the server). Filled in here, not in {@link #check}, so
     * that a schedule keeps asking for the default and each run records the number it used.
     */
    private static BackupSpec withWorkers(BackupSpec spec) {
        if (spec.kind() != BackupKind.BASE || spec.compressionMethod() != CompressionMethod.ZSTD
                || spec.compressionWorkers() != null) {
            return spec;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        return spec.withCompressionWorkers(Math.min(cores, BackupSpecValidator.MAX_COMPRESSION_WORKERS));
    }

    /** Validates the request, checks the database exists, then records the backup and queues its job. */
    @Transactional
    public JobView start(String cluster, BackupSpec request) {
        return start(cluster, request, null, null);
    }

    /**
     * {@link #start(String, BackupSpec)} for a schedule's run, which the backup remembers with the schedule's
     * retention policy as it is now ({@code retention} null when the schedule has none).
     */
    @Transactional
    public JobView start(String cluster, BackupSpec request, UUID scheduleId, RecordedRetention retention) {
        BackupSpec spec = withWorkers(check(cluster, request));
        Backup backup = new Backup(UUID.randomUUID(), cluster, spec, json.writeValueAsString(spec), scheduleId,
                repositories.target(clusters.repositoryOf(cluster)), clock.instant());
        if (retention != null) {
            backup.retainUnder(json.writeValueAsString(retention.policy()), retention.timeZone());
        }
        JobView job = jobs.submit(JobType.BACKUP, cluster, backup.getId(), null);
        backup.assignJob(job.id());
        backups.save(backup);
        return job;
    }

    /**
     * Everything {@link #start} checks before it records anything: the request, what this server and
     * these tools can do, and that the database exists. Returns the spec with its defaults filled in.
     */
    @Transactional(readOnly = true)
    public BackupSpec check(String cluster, BackupSpec request) {
        BackupSpec spec = BackupSpecValidator.validate(request);
        ClusterTarget target = clusters.target(cluster);
        if (spec.kind() == BackupKind.BASE) {
            spec = baseDefaults(spec, target);
            String refusal = clusters.replicationRefusal(cluster);
            if (refusal != null) {
                throw new ConflictException("a BASE backup streams over a replication connection, which cluster '"
                        + cluster + "' refuses: " + refusal);
            }
        }
        if (spec.database() != null && !clusters.databaseExists(cluster, spec.database())) {
            throw new InvalidRequestException("database",
                    "database '" + spec.database() + "' does not exist on cluster '" + cluster + "'");
        }
        return spec;
    }

    @Transactional(readOnly = true)
    public BackupView get(UUID id) {
        return view(find(id));
    }

    /** The entry, if the catalog has it. */
    @Transactional(readOnly = true)
    public java.util.Optional<BackupView> lookup(UUID id) {
        return backups.findById(id).map(this::view);
    }

    @Transactional(readOnly = true)
    public Page<BackupView> list(String cluster, BackupKind kind, BackupStatus status, VerificationStatus verification,
            Pageable page) {
        Specification<Backup> spec = (root, query, cb) -> cb.and(
                cluster == null ? cb.conjunction() : cb.equal(root.get("cluster"), cluster),
                kind == null ? cb.conjunction() : cb.equal(root.get("kind"), kind),
                status == null ? cb.conjunction() : cb.equal(root.get("status"), status),
                verification == null ? cb.conjunction() : cb.equal(root.get("verificationStatus"), verification));
        Page<Backup> found = backups.findAll(spec, page);
        java.util.Map<UUID, List<BackupCopy>> copied = copies.of(found.map(Backup::getId).getContent());
        return found.map(b -> view(b, copied.getOrDefault(b.getId(), List.of())));
    }

    /**
     * Removes the files and marks the entry DELETED. Refused for pinned or unfinished backups, and, unless
     * {@code force}, for a cluster's only BASE backup: every point-in-time recovery starts from it.
     */
    @Transactional
    public BackupView delete(UUID id, boolean force) {
        Backup backup = backups.lockById(id).orElseThrow(() -> notFound(id));
        if (backup.getStatus() == BackupStatus.QUEUED || backup.getStatus() == BackupStatus.RUNNING) {
            throw new ConflictException("backup " + id + " is still " + backup.getStatus()
                    + "; cancel its job " + backup.getJobId() + " first");
        }
        if (jobs.hasActive(id)) {
            throw new ConflictException("backup " + id + " is in use by a queued or running job (a restore, "
                    + "recovery or verification); try again when it has ended");
        }
        if (!force && backup.getKind() == BackupKind.BASE && backup.getStatus() == BackupStatus.SUCCEEDED
                && baseBackups(backup.getCluster()).size() == 1) {
            throw new ConflictException("backup " + id + " is the only BASE backup of cluster '" + backup.getCluster()
                    + "': its recovery window starts there and no point-in-time recovery is possible without it. "
                    + "Take another BASE backup first, or delete with ?force=true");
        }
        String location = backup.getLocation();
        backup.markDeleted(clock.instant());
        removal.afterCommit(id, backup.getRepository(), location);
        return view(backup);
    }

    @Transactional
    public BackupView pin(UUID id, boolean pinned) {
        Backup backup = backups.lockById(id).orElseThrow(() -> notFound(id));
        backup.pin(pinned);
        return view(backup);
    }

    /** Up to {@code limit} earlier SUCCEEDED backups of the same cluster, kind, database and format, newest first. */
    /** The size of the newest successful backup of the same cluster, kind, database and format; null: none. */
    @Transactional(readOnly = true)
    public Long lastSizeOfSameSpec(UUID id) {
        Backup b = find(id);
        Specification<Backup> spec = (root, query, cb) -> cb.and(cb.equal(root.get("cluster"), b.getCluster()),
                cb.equal(root.get("kind"), b.getKind()), cb.equal(root.get("status"), BackupStatus.SUCCEEDED),
                b.getDatabase() == null ? cb.isNull(root.get("database")) : cb.equal(root.get("database"), b.getDatabase()),
                b.getFormat() == null ? cb.isNull(root.get("format")) : cb.equal(root.get("format"), b.getFormat()));
        return backups.findAll(spec, PageRequest.of(0, 1, Sort.by(Sort.Direction.DESC, "finishedAt"))).stream()
                .map(Backup::getSizeBytes).findFirst().orElse(null);
    }

    @Transactional(readOnly = true)
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

    @Transactional
    public void flagSizeAnomaly(UUID id, String anomaly) {
        backups.lockById(id).orElseThrow(() -> notFound(id)).flagSize(anomaly);
    }

    /** The row counts recorded from the source when the backup was taken (empty when none were). */
    @Transactional(readOnly = true)
    public List<TableRows> tableRows(UUID id) {
        return List.copyOf(find(id).getTableRows());
    }

    /** The stored files of a finished backup, to download. */
    @Transactional(readOnly = true)
    public BackupContent content(UUID id) {
        Backup backup = find(id);
        if (backup.getStatus() != BackupStatus.SUCCEEDED) {
            throw new ConflictException("backup " + id + " is " + backup.getStatus() + "; it has no content");
        }
        return new BackupContent(view(backup), storage, blockStores);
    }

    /** A cluster's SUCCEEDED backups, newest first: what retention decides about. */
    @Transactional(readOnly = true)
    public List<BackupView> succeeded(String cluster) {
        Specification<Backup> spec = (root, query, cb) -> cb.and(cb.equal(root.get("cluster"), cluster),
                cb.equal(root.get("status"), BackupStatus.SUCCEEDED));
        return views(backups.findAll(spec, Sort.by(Sort.Direction.DESC, "finishedAt", "id")));
    }

    /** The cluster's SUCCEEDED BASE backups, oldest first: what recoveries start from. */
    @Transactional(readOnly = true)
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
        java.util.Map<UUID, List<BackupCopy>> copied = copies.of(found.stream().map(Backup::getId).toList());
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
                b.getScheduleId(), b.getSizeAnomaly(), b.getDrillSeconds(),
                b.getServerConfig() == null ? null : json.readValue(b.getServerConfig(), ServerConfig.class),
                b.getWarnings(), b.getRetentionPolicy() == null ? null : new RecordedRetention(
                        json.readValue(b.getRetentionPolicy(), RetentionPolicy.class), b.getRetentionTimeZone()),
                b.getRepository(), copiesOfB, b.getBackupType(), b.getReferenceId(), b.getDataSizeBytes());
    }

    static NotFoundException notFound(UUID id) {
        return new NotFoundException("no backup with id " + id);
    }
}
