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
 * fails start-up instead of being silently ignored.
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
        @Valid @DefaultValue Instance instance) {

    @ConstructorBinding
    public PgvaultProperties {
    }

    /** Settings without the instance's (its defaults). */
    public PgvaultProperties(Jobs jobs, Storage storage, Tools tools, Postgres postgres, Clusters clusters,
            Notifications notifications, Drills drills, Security security, Recovery recovery,
            Map<String, Repository> repositories, String repository, Wal wal) {
        this(jobs, storage, tools, postgres, clusters, notifications, drills, security, recovery, repositories,
                repository, wal, new Instance(null));
    }

    /**
     * This pgvault instance among several on one catalog. {@code host}: the machine it runs on, as clusters name
     * it in {@code dataHost} (default: the machine's host name). Work that writes a cluster's local directories
     * runs only on an instance of that cluster's host.
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
                repository, new Wal(Codec.ZSTD, 3), new Instance(null));
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
     * One repository, {@code pgvault.repositories.<name>}: {@code type} {@code local} (with {@code path}) or
     * {@code s3} (with {@code endpoint}, {@code region}, {@code bucket}, {@code prefix}, {@code pathStyle}
     * and optionally {@code accessKey}/{@code secretKey}; without them the AWS SDK's default credentials);
     * {@code compression} (zstd, lz4, none), {@code encryption} (none, aes-256-gcm) and
     * {@code encryptionKeyFile} (created owner-only with a new key when missing), or {@code encryptionKey}, the
     * key itself (one Tink keyset in JSON, e.g. from the environment variable
     * {@code PGVAULT_REPOSITORIES_<NAME>_ENCRYPTIONKEY}), and {@code encryptionOldKeyFiles}, the keys of files
     * written before a rotation. {@code retention}: what this repository keeps of the copies made to it (COPY
     * jobs), by its own rules; none: a copy lives as long as its backup. Never printed with its keys.
     */
    public record Repository(String type, Path path, String endpoint, String region, String bucket, String prefix,
            @DefaultValue("false") boolean pathStyle, String accessKey, String secretKey,
            @DefaultValue("zstd") String compression, @DefaultValue("none") String encryption,
            Path encryptionKeyFile, String encryptionKey, java.util.List<Path> encryptionOldKeyFiles,
            io.pgvault.cluster.RetentionPolicy retention) {

        @ConstructorBinding
        public Repository {
        }

        /** As configured, without a key given inline or old key files. */
        public Repository(String type, Path path, String endpoint, String region, String bucket, String prefix,
                boolean pathStyle, String accessKey, String secretKey, String compression, String encryption,
                Path encryptionKeyFile) {
            this(type, path, endpoint, region, bucket, prefix, pathStyle, accessKey, secretKey, compression, encryption,
                    encryptionKeyFile, null, null, null);
        }

        @Override
        public String toString() {
            return "Repository[" + type + ", " + (path != null ? path : endpoint + " " + bucket) + "]";
        }
    }

    /**
     * The WAL archive. {@code compression}: how pushed segments (and .partial segments) are stored, {@code zstd}
     * or {@code none}; recorded per file, so a change applies to new pushes and every file stays readable.
     * Fetches always return the original bytes. {@code compressionLevel}: zstd's level (1 fastest; 3, its own
     * default, is what pgBackRest uses too).
     */
    public record Wal(@NotNull @DefaultValue("zstd") Codec compression,
            @Min(1) @Max(19) @DefaultValue("3") int compressionLevel) {
    }

    /**
     * What monitoring holds every cluster to: {@code rpo}, the newest successful backup's greatest age for
     * clusters that set none themselves (unset: not checked), and {@code walLag}, the longest time without
     * an archived segment for clusters that push WAL; {@code sizeAnomalyRatio}, how far (0.5: ±50%) a
     * backup's size may stray from the median of its spec's last 7 successful ones before it is flagged.
     */
    public record Clusters(Duration rpo, @NotNull @DefaultValue("1h") Duration walLag,
            @DecimalMin("0.01") @DefaultValue("0.5") double sizeAnomalyRatio) {
    }

    /**
     * Webhooks: delivery attempts (the first included), the wait before the first retry (doubling, at most
     * 10 minutes), each request's timeout, and how often cluster health is checked for RPO and WAL alerts.
     */
    public record Notifications(
            @Min(1) @Max(20) @DefaultValue("6") int maxAttempts,
            @NotNull @DefaultValue("5s") Duration initialBackoff,
            @NotNull @DefaultValue("10s") Duration timeout,
            @NotNull @DefaultValue("60s") Duration checkInterval) {
    }

    /**
     * Restore drills. {@code countRows}: while a DUMP backup runs, count every table's rows in pg_dump's own
     * snapshot, so that a drill can demand them (costs a scan of each table, in parallel with the dump).
     */
    public record Drills(@DefaultValue("true") boolean countRows) {
    }

    /**
     * Secrets at rest: stored cluster passwords and webhook secrets are encrypted (AES-GCM) with the key from
     * the environment variable {@code PGVAULT_SECRET_KEY}, or else from {@code keyFile}, created owner-only
     * (0600) with a random key on first start. {@code adminToken} ({@code PGVAULT_ADMIN_TOKEN}): a bearer token
     * accepted with the ADMIN role, kept only in the configuration (at least 16 characters).
     */
    public record Security(@NotNull @DefaultValue("./data/pgvault.key") Path keyFile, String adminToken) {
    }

    /**
     * The job engine. {@code maxWaiters}: requests waiting for a job's end ({@code waitSeconds}) at once; more
     * are answered 503 with Retry-After. {@code waitRecheck}: how often the catalog is re-read for the jobs
     * that requests wait for (ends on other instances reach them this way).
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
    public record Storage(@Valid @DefaultValue Local local) {

        /** The local filesystem store. */
        public record Local(
                @NotNull @DefaultValue("./data/backups") Path root,
                @Min(0) @DefaultValue("1073741824") long minFreeBytes) {
        }
    }

    /**
     * Where PostgreSQL's client tools are looked for (empty: PATH and /usr/lib/postgresql/*&#47;bin), and
     * {@code passFileDirectory}: pgvault's own private directory (0700) for the tools' temporary password
     * files, swept of a killed run's leftovers at start-up.
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
     * Where recoveries, BASE restores and drills may write. {@code roots}: the directories under which a
     * recovery's data directory may lie (checked component by component, links refused); a registered
     * cluster's own data directory is the only other place (in place, {@code replaceExisting}, ADMIN).
     * {@code drillDirectory}: where drills make their throwaway copies (under a root). {@code copyTokenTtl}:
     * how long a recovered copy's fetch-only WAL credential lives at most.
     */
    public record Recovery(
            @NotNull @DefaultValue("/var/lib/postgresql,./data/recoveries") List<Path> roots,
            @NotNull @DefaultValue("./data/recoveries/drills") Path drillDirectory,
            @NotNull @DefaultValue("7d") Duration copyTokenTtl) {
    }

    /** Servers that pgvault starts itself. */
    public record Postgres(@NotBlank @DefaultValue("postgres") String osUser) {
    }
}
