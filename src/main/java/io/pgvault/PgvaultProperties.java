package io.pgvault;

import io.pgvault.storage.codec.Codec;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Every {@code pgvault.*} setting. One root so that a misspelt key anywhere under {@code pgvault}
 * fails start-up instead of being silently ignored. The {@code @param} tags are the settings' descriptions in the
 * configuration metadata (IDE completion) and must say what docs/configuration.md says (ConfigurationDocsTests
 * checks that every setting is in its table).
 *
 * @param repositories the named repositories (pgvault.repositories.NAME.type and the rest, see
 * docs/configuration.md); none: one local repository at pgvault.storage.local.root
 * @param repository the name of the default repository, where clusters that name none keep their backups and WAL;
 * may be left out when only one is configured
 */
@Validated
@ConfigurationProperties(prefix = "pgvault", ignoreUnknownFields = false)
public record PgvaultProperties(
        @Valid @DefaultValue Jobs jobs,
        @Valid @DefaultValue Storage storage,
        @Valid @DefaultValue Tools tools,
        @Valid @DefaultValue Postgres postgres,
        @Valid @DefaultValue Clusters clusters,
        @Valid @DefaultValue Notifications notifications,
        @Valid @DefaultValue Drills drills,
        @Valid @DefaultValue Security security,
        @Valid @DefaultValue Recovery recovery,
        @Valid @DefaultValue Map<String, Repository> repositories,
        String repository,
        @Valid @DefaultValue Wal wal,
        @Valid @DefaultValue Instance instance,
        @Valid @DefaultValue Api api,
        @Valid @DefaultValue Proof proof,
        @Valid @DefaultValue Blocks blocks) {

    @ConstructorBinding
    public PgvaultProperties {
    }

    /** Settings without the instance's (its defaults). */
    public PgvaultProperties(Jobs jobs, Storage storage, Tools tools, Postgres postgres, Clusters clusters,
            Notifications notifications, Drills drills, Security security, Recovery recovery,
            Map<String, Repository> repositories, String repository, Wal wal) {
        this(jobs, storage, tools, postgres, clusters, notifications, drills, security, recovery, repositories,
                repository, wal, new Instance(null), new Api(null),
                new Proof(Duration.ofSeconds(5), Duration.ofSeconds(45), Duration.ofHours(24)), new Blocks(true, 0));
    }

    /**
     * Block-store backups ({@code format} BLOCKS).
     *
     * @param hostRead whether a BLOCKS backup reads the data directory itself when it is on this host (otherwise,
     *        and where it is not, pg_basebackup's stream is cut into blocks)
     * @param readWorkers files read side by side by a backup on the data directory's host; 0: two per core (at
     *        least four), since a worker also waits on each new block's fsync
     * @param compressionLevel zstd's level for new blocks, 1 (fastest) to 19; 3 is zstd's own default and
     *        pgBackRest's. Blocks are named by their content, not by how they are compressed, so a change applies to
     *        new blocks and every block stays readable and shared
     */
    public record Blocks(@DefaultValue("true") boolean hostRead, @DefaultValue("0") int readWorkers,
            @Min(1) @Max(19) @DefaultValue("3") int compressionLevel) {

        @ConstructorBinding
        public Blocks {
        }

        public Blocks(boolean hostRead, int readWorkers) {
            this(hostRead, readWorkers, 3);
        }

        /** The number of reading workers to use. */
        public int workers() {
            return readWorkers > 0 ? readWorkers : io.pgvault.blocks.BlockStores.WORKERS;
        }
    }

    /**
     * The continuous proof's standing standby (proof mode CONTINUOUS).
     *
     * @param followInterval how often pgvault reads what the standby replayed and records the proven point
     * @param stallAfter how long replay may stand still while the archive holds newer segments before it is a
     * finding (FAILED, proof.failed, health DOWN)
     * @param checkInterval how often amcheck checks the standby's tables and indexes while it stands
     */
    public record Proof(@NotNull @DefaultValue("5s") Duration followInterval,
            @NotNull @DefaultValue("45s") Duration stallAfter,
            @NotNull @DefaultValue("24h") Duration checkInterval) {
    }

    /**
     * The API as clients see it.
     *
     * @param publicUrl the base URL that database hosts and clients reach pgvault at (a load balancer's or proxy's,
     * e.g. https://pgvault.example.net), from which archive-config builds archive_command and restore_command;
     * unset: the address the archive-config request itself was sent to (its Host header)
     */
    public record Api(java.net.URI publicUrl) {
    }

    /**
     * This pgvault instance among several on one catalog. Work that writes a cluster's local directories runs only
     * on an instance of that cluster's host.
     *
     * @param host the machine this instance runs on, as clusters name it in dataHost; default: the machine's host
     * name
     */
    public record Instance(String host) {

        /** The configured host, or the machine's host name. */
        public String hostName() {
            if (host != null && !host.isBlank()) {
                return host;
            }
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                return "localhost";
            }
        }
    }

    /** Settings without the WAL archive's (its defaults). */
    public PgvaultProperties(Jobs jobs, Storage storage, Tools tools, Postgres postgres, Clusters clusters,
            Notifications notifications, Drills drills, Security security, Recovery recovery,
            Map<String, Repository> repositories, String repository) {
        this(jobs, storage, tools, postgres, clusters, notifications, drills, security, recovery, repositories,
                repository, new Wal(Codec.ZSTD, 3));
    }

    /**
     * The default repository's name: {@code pgvault.repository}, else the only one configured, else
     * {@code local} (the implicit local repository at {@code pgvault.storage.local.root}).
     */
    public String defaultRepository() {
        if (repository != null && !repository.isBlank()) {
            return repository;
        }
        return repositories == null || repositories.size() != 1 ? "local" : repositories.keySet().iterator().next();
    }

    /**
     * Where backups and WAL are kept on this host: the default repository's {@code path} when it is a
     * configured local one, else {@code pgvault.storage.local.root}.
     */
    public Path storageRoot() {
        Repository r = repositories == null ? null : repositories.get(defaultRepository());
        // an encrypted repository is written through its store: the workspace is then storage.local.root
        Path root = r != null && "local".equals(r.type()) && r.path() != null && "none".equalsIgnoreCase(r.encryption())
                ? r.path() : storage.local().root();
        return root.toAbsolutePath().normalize();
    }

    /**
     * One repository, {@code pgvault.repositories.<name>}. Never printed with its keys.
     *
     * @param type local or s3
     * @param path local: the directory (it becomes the storage root when this is the default repository)
     * @param endpoint s3: the endpoint URL (MinIO, Ceph, S3Proxy...); leave out for AWS itself
     * @param region s3: the region
     * @param bucket s3: the bucket
     * @param prefix s3: the key prefix everything goes under
     * @param pathStyle s3: path-style requests (MinIO, Ceph, S3Proxy) instead of virtual-host style
     * @param accessKey s3: the access key; leave out (with secretKey) for the AWS SDK's default credentials
     * (environment, profile, instance role)
     * @param secretKey s3: the secret key
     * @param compression zstd, lz4 or none: checked, not applied (WAL: pgvault.wal.compression; BASE backups:
     * their compressionMethod)
     * @param encryption none or aes-256-gcm (Tink streaming AEAD, client side)
     * @param encryptionKeyFile the key file (a Tink keyset), created owner-only with a new key when missing
     * @param encryptionKey the key itself instead of a file (a Tink keyset in JSON), e.g. from the environment
     * variable PGVAULT_REPOSITORIES_<NAME>_ENCRYPTIONKEY
     * @param encryptionOldKeyFiles keys of files written before a rotation: read, never written with
     * @param retention what this repository keeps of the copies made to it (keep-last, keep-days, daily, weekly,
     * monthly); none: a copy lives as long as its backup
     * @param connectTimeout s3: how long opening a connection may take
     * @param readTimeout s3: how long a connection may send or take no byte before the attempt fails (a hanging
     * bucket)
     * @param attempts s3: how often one request is sent (the first included) when the answer is a network error,
     * a 5xx or a throttling answer (1 to 20)
     */
    public record Repository(String type, Path path, String endpoint, String region, String bucket, String prefix,
            @DefaultValue("false") boolean pathStyle, String accessKey, String secretKey,
            @DefaultValue("zstd") String compression, @DefaultValue("none") String encryption,
            Path encryptionKeyFile, String encryptionKey, java.util.List<Path> encryptionOldKeyFiles,
            io.pgvault.cluster.RetentionPolicy retention, @DefaultValue("10s") Duration connectTimeout,
            @DefaultValue("60s") Duration readTimeout, @DefaultValue("4") int attempts) {

        @ConstructorBinding
        public Repository {
        }

        /** With the S3 client's default timeouts and attempts. */
        public Repository(String type, Path path, String endpoint, String region, String bucket, String prefix,
                boolean pathStyle, String accessKey, String secretKey, String compression, String encryption,
                Path encryptionKeyFile, String encryptionKey, java.util.List<Path> encryptionOldKeyFiles,
                io.pgvault.cluster.RetentionPolicy retention) {
            this(type, path, endpoint, region, bucket, prefix, pathStyle, accessKey, secretKey, compression, encryption,
                    encryptionKeyFile, encryptionKey, encryptionOldKeyFiles, retention, null, null, 0);
        }

        /** As configured, without a key given inline or old key files. */
        public Repository(String type, Path path, String endpoint, String region, String bucket, String prefix,
                boolean pathStyle, String accessKey, String secretKey, String compression, String encryption,
                Path encryptionKeyFile) {
            this(type, path, endpoint, region, bucket, prefix, pathStyle, accessKey, secretKey, compression, encryption,
                    encryptionKeyFile, null, null, null, null, null, 0);
        }

        @Override
        public String toString() {
            return "Repository[" + type + ", " + (path != null ? path : endpoint + " " + bucket) + "]";
        }
    }

    /**
     * The WAL archive. Fetches always return the original bytes.
     *
     * @param compression how pushed segments (and .partial segments) are stored: zstd or none; recorded per file,
     * so a change applies to new pushes and every file stays readable
     * @param compressionLevel zstd's level, 1 (fastest) to 19; 3 is zstd's own default and pgBackRest's
     * @param streamLease how long an instance's claim to run a cluster's pg_receivewal (walArchive STREAM) lasts
     * without renewal (renewed every 1 to 2 s); after an instance dies, another takes the receiver over once
     * it ran out (5 s at least)
     */
    public record Wal(@NotNull @DefaultValue("zstd") Codec compression,
            @Min(1) @Max(19) @DefaultValue("3") int compressionLevel,
            @NotNull @DefaultValue("30s") Duration streamLease) {

        @ConstructorBinding
        public Wal {
            streamLease = streamLease == null ? Duration.ofSeconds(30) : streamLease;
            if (streamLease.compareTo(Duration.ofSeconds(5)) < 0) {
                throw new IllegalArgumentException("pgvault.wal.stream-lease must be 5s or more (it is renewed every "
                        + "1 to 2 s)");
            }
        }

        public Wal(Codec compression, int compressionLevel) {
            this(compression, compressionLevel, null);
        }
    }

    /**
     * What monitoring holds every cluster to.
     *
     * @param rpo the greatest age of the newest successful backup, for clusters that set no rpo themselves; unset:
     * not checked
     * @param walLag the longest time without an archived WAL file for clusters that push or stream WAL
     * @param sizeAnomalyRatio how far (0.5: ±50%) a backup's size may stray from the median of its spec's last 7
     * successful ones before it is flagged
     */
    public record Clusters(Duration rpo, @NotNull @DefaultValue("1h") Duration walLag,
            @DecimalMin("0.01") @DefaultValue("0.5") double sizeAnomalyRatio) {
    }

    /**
     * Webhooks.
     *
     * @param maxAttempts delivery attempts of one event, the first included (1 to 20)
     * @param initialBackoff the wait before the first retry; it doubles with each retry, at most 10 minutes
     * @param timeout each webhook request's timeout
     * @param checkInterval how often cluster health is checked for RPO and WAL alerts
     */
    public record Notifications(
            @Min(1) @Max(20) @DefaultValue("6") int maxAttempts,
            @NotNull @DefaultValue("5s") Duration initialBackoff,
            @NotNull @DefaultValue("10s") Duration timeout,
            @NotNull @DefaultValue("60s") Duration checkInterval) {
    }

    /**
     * Restore drills.
     *
     * @param countRows count every table a DUMP took in pg_dump's own snapshot, so that a drill can demand its
     * rows (a scan of each table, once the dump is stored and SUCCEEDED, before the backup job ends)
     */
    public record Drills(@DefaultValue("true") boolean countRows) {
    }

    /**
     * Secrets at rest: stored cluster passwords, webhook secrets and archive tokens are encrypted (AES-GCM).
     *
     * @param keyFile the key that encrypts stored passwords, webhook secrets and archive tokens, created owner-only
     * (0600) with a random key on first start; the environment variable PGVAULT_SECRET_KEY overrides it; instances
     * sharing a catalog must share it
     * @param adminToken a bearer token accepted with the ADMIN role, kept only in the configuration (16 to 512
     * characters; environment variable PGVAULT_ADMIN_TOKEN); when set, no admin token is generated at first start
     */
    public record Security(@NotNull @DefaultValue("./data/pgvault.key") Path keyFile, String adminToken) {
    }

    /**
     * The job engine.
     *
     * @param maxConcurrent jobs running at once on this instance (1 to 64)
     * @param maxBackupsPerCluster backups running at once per cluster, across instances (1 to 64)
     * @param timeout a job running longer is stopped and fails
     * @param instanceName this instance's name in the job engine, unique among the instances of a catalog;
     * default: the machine's host name
     * @param pollInterval how often this instance asks the catalog for due jobs
     * @param heartbeatInterval how often a running job's phase, progress and log reach the catalog, and this
     * instance says it is alive
     * @param staleAfter a running job whose instance sent no heartbeat for this long is failed (interrupted) by a
     * living instance
     * @param logLimitBytes the newest bytes of a job's log that are kept (1 KiB to 16 MiB)
     * @param maxWaiters requests waiting for a job's end (waitSeconds) at once; more get 503 with Retry-After
     * @param waitRecheck how often the catalog is re-read for the jobs that requests wait for (ends on other
     * instances reach them this way)
     */
    public record Jobs(
            @Min(1) @Max(64) @DefaultValue("2") int maxConcurrent,
            @Min(1) @Max(64) @DefaultValue("1") int maxBackupsPerCluster,
            @NotNull @DefaultValue("6h") Duration timeout,
            String instanceName,
            @NotNull @DefaultValue("1s") Duration pollInterval,
            @NotNull @DefaultValue("2s") Duration heartbeatInterval,
            @NotNull @DefaultValue("60s") Duration staleAfter,
            @Min(1024) @Max(16 * 1024 * 1024) @DefaultValue("65536") int logLimitBytes,
            @Min(1) @Max(100_000) @DefaultValue("1000") int maxWaiters,
            @NotNull @DefaultValue("1s") Duration waitRecheck) {
    }

    /** Where backups are kept. */
    public record Storage(@Valid @DefaultValue Local local, @Valid @DefaultValue Sweep sweep,
            @Valid @DefaultValue Probe probe) {

        @ConstructorBinding
        public Storage {
        }

        /** Local storage with the default sweep and probe settings. */
        public Storage(Local local) {
            this(local, new Sweep(Duration.ofHours(1), Duration.ofHours(1)),
                    new Probe(Duration.ofSeconds(5), Duration.ofSeconds(15)));
        }

        /**
         * The periodic sweep of what faults leave in repositories (see {@code storage/RepositorySweeps}).
         *
         * @param every how often it runs, on one instance of the catalog
         * @param grace how old a leftover must be before it is removed: longer than any upload or push takes
         * between storing and recording, so that work in progress (on any instance) is never taken for a leftover
         */
        public record Sweep(@NotNull @DefaultValue("1h") Duration every, @NotNull @DefaultValue("1h") Duration grace) {
        }

        /**
         * How repositories are probed for health: in the background, never while a caller waits.
         *
         * @param timeout how long one probe may take before its repository is DOWN ("no answer within ...")
         * @param interval how old the last probe may be before the next one starts (a caller gets the last one)
         */
        public record Probe(@NotNull @DefaultValue("5s") Duration timeout,
                @NotNull @DefaultValue("15s") Duration interval) {
        }

        /**
         * The local filesystem store, and this instance's workspace (.staging, .scratch) whatever the repositories.
         *
         * @param root where the implicit local repository keeps backups and WAL, and the workspace
         * @param minFreeBytes below this free space, storage health is DOWN
         */
        public record Local(
                @NotNull @DefaultValue("./data/backups") Path root,
                @Min(0) @DefaultValue("1073741824") long minFreeBytes) {
        }
    }

    /**
     * PostgreSQL's tools.
     *
     * @param directories where PostgreSQL's client tools and server binaries are looked for (a directory may hold
     * either); empty: PATH and /usr/lib/postgresql/MAJOR/bin
     * @param connectTimeout how long a connection to a cluster may take (checks, registration, tools)
     * @param passFileDirectory pgvault's own private directory (0700) for the tools' temporary password files,
     * swept of a killed run's leftovers at start-up
     */
    public record Tools(@DefaultValue({}) List<Path> directories, @NotNull @DefaultValue("10s") Duration connectTimeout,
            @NotNull @DefaultValue("./data/pgpass") Path passFileDirectory) {

        @ConstructorBinding
        public Tools {
        }

        /** Tools at the default password file directory. */
        public Tools(List<Path> directories, Duration connectTimeout) {
            this(directories, connectTimeout, Path.of("./data/pgpass"));
        }
    }

    /**
     * Where recoveries, BASE restores and drills may write; a registered cluster's own data directory is the only
     * other place (in place, replaceExisting, ADMIN).
     *
     * @param roots the directories below which recoveries, BASE restores and drills write (checked component by
     * component, links refused)
     * @param drillDirectory where drills and extractions make their throwaway copies (below a root)
     * @param copyTokenTtl the longest life of a recovered copy's fetch-only WAL credential
     */
    public record Recovery(
            @NotNull @DefaultValue("/var/lib/postgresql,./data/recoveries") List<Path> roots,
            @NotNull @DefaultValue("./data/recoveries/drills") Path drillDirectory,
            @NotNull @DefaultValue("7d") Duration copyTokenTtl) {
    }

    /**
     * Servers that pgvault starts itself.
     *
     * @param osUser the OS user of the servers pgvault starts (recoveries, drills) when it runs as root
     */
    public record Postgres(@NotBlank @DefaultValue("postgres") String osUser) {
    }
}
