package io.pgvault.storage;

import io.pgvault.PgvaultProperties;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import io.pgvault.storage.crypto.MissingKeyMaterialException;
import io.pgvault.storage.crypto.RepositoryKeys;
import io.pgvault.storage.local.LocalObjectStore;
import io.pgvault.storage.s3.S3ObjectStore;
import io.pgvault.storage.s3.S3Settings;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The repositories of {@code pgvault.repositories.<name>}, checked in full at start-up: a setting that
 * pgvault cannot honour stops it with a message that names the setting, instead of being ignored. With no
 * configuration there is one, {@code local}, at {@code pgvault.storage.local.root}.
 *
 * <p>A cluster's backups and WAL go to the repository it names, else to the default one. What was stored
 * before repositories existed is in {@code local}, the storage root, which stays readable under that name
 * even when no repository of that name is configured any more. Health is probed in the background
 * ({@link RepositoryProbes}): a local repository by its directory's write access and free space, an S3 one by
 * listing, writing and deleting a small object below {@code .pgvault/}. An encrypted repository whose key
 * material lacks a key its stored files need refuses to write ({@link #refuseWrites}).
 */
@Component
public class Repositories {

    private static final Set<String> COMPRESSIONS = Set.of("zstd", "lz4", "none");
    private static final Logger log = LoggerFactory.getLogger(Repositories.class);

    private final Map<String, Repository> repositories = new LinkedHashMap<>();
    private final String defaultName;
    private final long minFreeBytes;
    private final RepositoryProbes probes;
    private final Map<String, io.pgvault.cluster.RetentionPolicy> copyRetention = new LinkedHashMap<>();
    private final Path workspace;
    private final LocalObjectStore workspaceStore;

    /** One repository as configured, with its store. */
    public record Repository(String name, String type, boolean isDefault, String compression, String encryption,
            ObjectStore store, Path path) {
    }

    /**
     * What the last probe found; {@code freeBytes} only where the backend knows it, {@code checkedAt} null while
     * no probe has answered yet (UNKNOWN).
     */
    public record Health(boolean reachable, boolean writable, Long freeBytes, String detail, Instant checkedAt) {

        static Health unknown(String detail) {
            return new Health(false, false, null, detail, null);
        }

        public boolean up() {
            return reachable && writable;
        }

        /** UP, DOWN, or UNKNOWN while the first probe has not answered. */
        public String status() {
            return checkedAt == null ? "UNKNOWN" : up() ? "UP" : "DOWN";
        }
    }

    public Repositories(PgvaultProperties properties, Clock clock) {
        this.minFreeBytes = properties.storage().local().minFreeBytes();
        this.defaultName = properties.defaultRepository();
        Map<String, PgvaultProperties.Repository> configured = properties.repositories() == null ? Map.of()
                : properties.repositories();
        if (configured.isEmpty()) {
            repositories.put("local", new Repository("local", "local", true, "zstd", "none",
                    new LocalObjectStore(properties.storageRoot()), properties.storageRoot()));
        }
        configured.forEach((name, r) -> repositories.put(name, build(name, r, name.equals(defaultName))));
        configured.forEach((name, r) -> {
            if (r.retention() != null && !r.retention().keepsEverything()) {
                try {
                    copyRetention.put(name, r.retention().validated());
                } catch (RuntimeException e) {
                    throw new IllegalStateException("pgvault.repositories." + name + ".retention: " + e.getMessage());
                }
            }
        });
        Repository chosen = repositories.get(defaultName);
        if (chosen == null) {
            throw new IllegalStateException("pgvault.repository names '" + defaultName + "', but pgvault.repositories "
                    + "has only " + repositories.keySet() + (configured.size() > 1 && properties.repository() == null
                    ? ": with several repositories, name the default with pgvault.repository" : ""));
        }
        PgvaultProperties.Storage.Probe probe = properties.storage().probe();
        if (probe.timeout().isNegative() || probe.timeout().isZero() || probe.interval().isNegative()) {
            throw new IllegalStateException("pgvault.storage.probe.timeout must be positive and "
                    + "pgvault.storage.probe.interval not negative (are " + probe.timeout() + ", " + probe.interval()
                    + ")");
        }
        this.probes = new RepositoryProbes(clock, probe.timeout(), probe.interval(), minFreeBytes);
        for (Repository r : repositories.values()) {
            if (r.store() instanceof EncryptedObjectStore encrypted) {
                encrypted.keys().refusal().ifPresent(reason -> refuseWrites(r.name(), reason));
            }
        }
        this.workspace = properties.storageRoot();
        this.workspaceStore = new LocalObjectStore(workspace);
    }

    private static Repository build(String name, PgvaultProperties.Repository r, boolean isDefault) {
        String prefix = "pgvault.repositories." + name + ".";
        if (!name.matches("[a-z][a-z0-9-]{0,62}")) {
            throw new IllegalStateException("pgvault.repositories." + name + ": a repository's name is a slug "
                    + "(lower-case letters, digits, '-', starting with a letter)");
        }
        String compression = r.compression().toLowerCase(Locale.ROOT);
        if (!COMPRESSIONS.contains(compression)) {
            throw new IllegalStateException(prefix + "compression is '" + r.compression() + "': use zstd (the default), "
                    + "lz4 or none");
        }
        String encryption = r.encryption().toLowerCase(Locale.ROOT);
        if (!encryption.equals("none") && !encryption.equals("aes-256-gcm")) {
            throw new IllegalStateException(prefix + "encryption is '" + r.encryption() + "': use none or aes-256-gcm");
        }
        Repository plain = backend(name, r, isDefault, compression, encryption, prefix);
        if (encryption.equals("none")) {
            return plain;
        }
        return new Repository(name, plain.type(), isDefault, compression, encryption,
                new EncryptedObjectStore(plain.store(), keys(r, prefix, plain.store())), plain.path());
    }

    /** The keys of an encrypted repository: inline (from the environment) or from its key file, and the old ones. */
    private static RepositoryKeys keys(PgvaultProperties.Repository r, String prefix, ObjectStore stored) {
        List<Path> old = r.encryptionOldKeyFiles() == null ? List.of() : r.encryptionOldKeyFiles();
        try {
            if (r.encryptionKey() != null && !r.encryptionKey().isBlank()) {
                return RepositoryKeys.fromEnvironment(prefix + "encryption-key", r.encryptionKey(), old);
            }
            if (r.encryptionKeyFile() == null) {
                throw new IllegalStateException(prefix + "encryption is aes-256-gcm: set " + prefix
                        + "encryption-key-file (created with a new key when missing and the repository holds nothing "
                        + "encrypted yet; keep a copy away from the repository, without it nothing there can be read) "
                        + "or " + prefix + "encryption-key");
            }
            return RepositoryKeys.open(r.encryptionKeyFile(), old, stored, prefix);
        } catch (IOException e) {
            throw new IllegalStateException(prefix + "encryption: " + e.getMessage());
        }
    }

    private static Repository backend(String name, PgvaultProperties.Repository r, boolean isDefault,
            String compression, String encryption, String prefix) {
        String type = r.type() == null ? "" : r.type().toLowerCase(Locale.ROOT);
        switch (type) {
            case "local" -> {
                if (r.path() == null) {
                    throw new IllegalStateException(prefix + "path is required for a local repository");
                }
                Path path = r.path().toAbsolutePath().normalize();
                return new Repository(name, type, isDefault, compression, encryption, new LocalObjectStore(path), path);
            }
            case "s3" -> {
                try {
                    S3Settings settings = new S3Settings(r.endpoint(), r.region(), r.bucket(), r.prefix(), r.pathStyle(),
                            r.accessKey(), r.secretKey(), 0, r.connectTimeout(), r.readTimeout(), r.attempts());
                    return new Repository(name, type, isDefault, compression, encryption, new S3ObjectStore(settings),
                            null);
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException(prefix + "*: " + e.getMessage());
                }
            }
            default -> throw new IllegalStateException(prefix + "type is " + (type.isEmpty() ? "missing" : "'" + r.type()
                    + "'") + ": use local (with path) or s3 (with bucket, and endpoint for other servers than AWS)");
        }
    }

    /**
     * Stops every write to the repository, for good (until a restart with the key material fixed), and reports
     * it DOWN with {@code reason}: its key material lacks a key its stored files need. For the default repository
     * pgvault does not start ({@link MissingKeyMaterialException}), since every backup and WAL file goes there.
     */
    public void refuseWrites(String name, String reason) {
        Repository r = repositories.get(name);
        if (r.isDefault()) {
            throw new MissingKeyMaterialException(name, reason);
        }
        if (r.store() instanceof EncryptedObjectStore encrypted) {
            encrypted.keys().refuse(reason);
        }
        probes.refuse(name, reason);
        log.error("Repository '{}' refuses to write: {}", name, reason);
    }

    /** The rules that thin out the copies made to a repository, when it has its own; see {@code retention}. */
    public java.util.Optional<io.pgvault.cluster.RetentionPolicy> copyRetention(String name) {
        return java.util.Optional.ofNullable(copyRetention.get(name));
    }

    /**
     * A repository a request names, which must be configured; else a 400 for {@code field} that lists the
     * configured ones.
     */
    public Repository requireConfigured(String field, String name) {
        Repository r = name == null ? null : repositories.get(name);
        if (r == null) {
            throw new io.pgvault.api.InvalidRequestException(field, "no repository is named '" + name
                    + "'; pgvault.repositories has " + repositories.keySet());
        }
        return r;
    }

    /** The configured repository of that name. */
    public java.util.Optional<Repository> configured(String name) {
        return java.util.Optional.ofNullable(repositories.get(name));
    }

    /** The repository a cluster that names {@code chosen} (null: none) writes to. */
    public String target(String chosen) {
        return chosen == null ? defaultName : chosen;
    }

    /**
     * The repository to read a stored backup or WAL file from: the configured one of that name, or, for
     * {@code local} when none is configured under that name, the storage root where everything was stored before
     * repositories existed.
     */
    public Repository forReading(String name) {
        Repository r = repositories.get(name);
        if (r != null) {
            return r;
        }
        if (name == null || name.equals("local")) {
            return new Repository("local", "local", false, "none", "none", workspaceStore, workspace);
        }
        throw new IllegalStateException("repository '" + name + "' is not configured (pgvault.repositories has "
                + repositories.keySet() + "): configure it again to read what is stored there");
    }

    /** Whether the repository is a local one at the workspace's own root, where staging areas can move in place. */
    public boolean isWorkspace(Repository r) {
        // an encrypted one is written through its store, which encrypts
        return r.type().equals("local") && r.encryption().equals("none") && r.path() != null && r.path().equals(workspace);
    }

    /** The local directory of staging areas, scratch directories and WAL spools: the storage root. */
    public Path workspace() {
        return workspace;
    }

    public List<Repository> all() {
        return List.copyOf(repositories.values());
    }

    public Repository defaultRepository() {
        return repositories.get(defaultName);
    }

    /**
     * The repository's last known health, at once: probes run in the background with a bounded timeout
     * ({@link RepositoryProbes}), so a bucket that does not answer never holds the caller.
     */
    public Health health(Repository repository) {
        return probes.health(repository);
    }

    /** Probes every repository once the application is up, so that the first health question finds answers. */
    @org.springframework.context.event.EventListener(org.springframework.boot.context.event.ApplicationReadyEvent.class)
    void probeAtStart() {
        repositories.values().forEach(probes::refresh);
    }

    /** Every repository's health, by name. */
    public Map<String, Health> healthOfAll() {
        Map<String, Health> all = new LinkedHashMap<>();
        // probes that are due start together, so that first answers are awaited at once, not one after another
        repositories.values().forEach(probes::refreshIfDue);
        repositories.values().forEach(r -> all.put(r.name(), health(r)));
        return all;
    }

    @PreDestroy
    void close() {
        probes.close();
        for (Repository r : repositories.values()) {
            if (r.store() instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    log.debug("closing repository '{}': {}", r.name(), e.toString());
                }
            }
        }
    }
}
