package io.pgvault.backup;

import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterTarget;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.storage.Repositories;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Starts backups: checks a request against its kind, the cluster's tools and server and the databases it has,
 * fills in the defaults, records the QUEUED entry and queues its job. The one way a backup comes into the catalog
 * (on request or by a schedule); reading the catalog is {@link BackupCatalog}, deleting and pinning
 * {@link BackupLifecycle}.
 */
@Service
public class BackupService {

    private final BackupRepository backups;
    private final ClusterAccess clusters;
    private final JobService jobs;
    private final JsonMapper json;
    private final Clock clock;
    private final Repositories repositories;

    BackupService(BackupRepository backups, ClusterAccess clusters, JobService jobs, JsonMapper json, Clock clock,
            Repositories repositories) {
        this.backups = backups;
        this.clusters = clusters;
        this.jobs = jobs;
        this.json = json;
        this.clock = clock;
        this.repositories = repositories;
    }

    /**
     * Fills in the compression method (ZSTD where pg_basebackup has it, 15 and later, else GZIP) and refuses
     * what this tool or server cannot do, before anything starts.
     */
    private static BaseSpec baseDefaults(BaseSpec spec, ClusterTarget target) {
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
        if (!(spec instanceof BaseSpec base) || base.compressionMethod() != CompressionMethod.ZSTD
                || base.compressionWorkers() != null) {
            return spec;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        return base.withCompressionWorkers(Math.min(cores, BackupSpecValidator.MAX_COMPRESSION_WORKERS));
    }

    /** Validates the request, checks the database exists, then records the backup and queues its job. */
    @Transactional
    public JobView start(String cluster, BackupSpec request) {
        return start(cluster, request, null, null, null);
    }

    /**
     * {@link #start(String, BackupSpec)} for a schedule's run, which the backup remembers with the due time it
     * serves ({@code scheduledFor}, null for a run started by hand) and the schedule's retention policy as it is now
     * ({@code retention} null when the schedule has none).
     */
    @Transactional
    public JobView start(String cluster, BackupSpec request, UUID scheduleId, Instant scheduledFor,
            RecordedRetention retention) {
        BackupSpec spec = withWorkers(check(cluster, request));
        Backup backup = new Backup(UUID.randomUUID(), cluster, spec, json.writeValueAsString(spec), scheduleId,
                repositories.target(clusters.repositoryOf(cluster)), clock.instant());
        backup.scheduledFor(scheduledFor);
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
        if (!target.hasTools() && !(spec instanceof BaseSpec b && b.blocks())) {
            // registered without client tools (its data directory is read here): pg_dump and pg_basebackup are missing
            throw new InvalidRequestException(target.missingTools() + " Only a BASE backup in format BLOCKS, read from "
                    + "the data directory on this host, works without them.");
        }
        if (spec instanceof BaseSpec base) {
            spec = target.hasTools() ? baseDefaults(base, target) : base;
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

}
