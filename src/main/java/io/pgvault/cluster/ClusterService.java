package io.pgvault.cluster;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.security.ArchiveTokenCheck;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import org.springframework.data.domain.Sort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Registers clusters after proving that pgvault can reach them and has tools that fit them. */
@Service
public class ClusterService implements ArchiveTokenCheck {

    private final ClusterRepository clusters;
    private final ClusterAccess access;
    private final PostgresTools tools;
    private final JdbcTemplate catalog;
    private final Clock clock;
    private final RepositoryNames repositories;
    private final RefusedPushes refusedPushes;
    private final SecureRandom random = new SecureRandom();
    private final boolean hostRead;

    ClusterService(ClusterRepository clusters, ClusterAccess access, PostgresTools tools, JdbcTemplate catalog,
            Clock clock, RepositoryNames repositories, RefusedPushes refusedPushes, PgvaultProperties properties) {
        this.hostRead = properties.blocks().hostRead();
        this.repositories = repositories;
        this.refusedPushes = refusedPushes;
        this.clusters = clusters;
        this.access = access;
        this.tools = tools;
        this.catalog = catalog;
        this.clock = clock;
    }

    @Transactional
    public ClusterView register(String name, ClusterSettings settings) {
        if (clusters.existsById(name)) {
            throw new ConflictException("a cluster named '" + name + "' is already registered");
        }
        Cluster cluster = new Cluster(name, clock.instant());
        configure(cluster, settings);
        cluster.archiveToken(newArchiveToken());
        return ClusterView.of(clusters.save(cluster));
    }

    /**
     * The token that lets this cluster's archive_command and restore_command push and fetch its WAL (and
     * nothing else); made on first use for clusters registered before archive tokens existed.
     */
    @Transactional
    public String archiveToken(String name) {
        // read under the row lock, so that two first uses cannot hand out two different tokens
        Cluster cluster = locked(name);
        if (cluster.getArchiveToken() == null) {
            cluster.archiveToken(newArchiveToken());
        }
        return cluster.getArchiveToken();
    }

    /** Replaces the archive token; the old one stops working at once. */
    @Transactional
    public String rotateArchiveToken(String name) {
        Cluster cluster = locked(name);
        cluster.archiveToken(newArchiveToken());
        return cluster.getArchiveToken();
    }

    @Override
    @Transactional(readOnly = true)
    public boolean matches(String name, String token) {
        String expected = clusters.findById(name).map(Cluster::getArchiveToken).orElse(null);
        return expected != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void refused(String name, String file) {
        if (clusters.existsById(name)) {
            refusedPushes.record(name, file);
        }
    }

    /**
     * Locks the cluster's catalog row until the transaction ends: what plans on its WAL archive (a recovery
     * being queued) and what removes from it (retention) take turns, so a recovery is never promised WAL
     * that retention is removing.
     */
    @Transactional
    public void lockArchive(String name) {
        locked(name);
    }

    /**
     * Shares the lock of {@link #lockArchive} until the transaction ends: what adds to the WAL archive (a push
     * recording its file) never crosses a removal, and pushes do not wait for each other.
     */
    @Transactional
    public void shareArchive(String name) {
        clusters.findForShare(name)
                .orElseThrow(() -> new io.pgvault.api.NotFoundException("no cluster named '" + name + "'"));
    }

    private Cluster locked(String name) {
        return clusters.findForUpdate(name)
                .orElseThrow(() -> new io.pgvault.api.NotFoundException("no cluster named '" + name + "'"));
    }

    private String newArchiveToken() {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        return ArchiveTokenCheck.PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    @Transactional
    public ClusterView update(String name, ClusterSettings settings) {
        return update(access.find(name), settings);
    }

    /**
     * Changes a cluster to what {@code change} makes of its current state, with its row locked in between, so
     * that two partial updates (PATCH) at once both take effect instead of the second one undoing the first.
     */
    @Transactional
    public ClusterView update(String name, java.util.function.Function<ClusterView, ClusterSettings> change) {
        Cluster cluster = locked(name);
        return update(cluster, change.apply(ClusterView.of(cluster)));
    }

    private ClusterView update(Cluster cluster, ClusterSettings settings) {
        ClusterSettings merged = settings.password() == null
                ? new ClusterSettings(settings.host(), settings.port(), settings.username(),
                        cluster.settings().password() == null ? "" : cluster.settings().password(),
                        settings.maintenanceDatabase(), settings.sslMode(), settings.walArchive(), settings.rpo(),
                        settings.retention(), settings.sanityQueries(), settings.timeZone(), settings.repository(),
                        settings.walCopyTo(), settings.dataHost())
                : settings;
        configure(cluster, merged);
        return ClusterView.of(cluster);
    }

    @Transactional
    public void delete(String name) {
        Cluster cluster = access.find(name);
        if (cluster.getWalArchive() == WalArchiveMode.STREAM) {
            throw new ConflictException("cluster '" + name + "' streams its WAL into pgvault; set walArchive to NONE "
                    + "first, so that pgvault stops pg_receivewal and drops its replication slot on the server");
        }
        Long backups = catalog.queryForObject(
                "select count(*) from backup where cluster = ? and status not in ('DELETED', 'EXPIRED')", Long.class,
                name);
        if (backups != null && backups > 0) {
            throw new ConflictException("cluster '" + name + "' still has " + backups
                    + " backup(s) in the catalog; delete them first (pgvault never deletes backups implicitly)");
        }
        Long wal = catalog.queryForObject("select count(*) from wal_file where cluster = ?", Long.class, name);
        if (wal != null && wal > 0) {
            throw new ConflictException("cluster '" + name + "' has " + wal + " archived WAL file(s); pgvault never "
                    + "deletes them implicitly (retention removes WAL older than the oldest retained BASE backup)");
        }
        Long schedules = catalog.queryForObject("select count(*) from schedule where cluster = ?", Long.class, name);
        if (schedules != null && schedules > 0) {
            throw new ConflictException("cluster '" + name + "' has " + schedules + " schedule(s); delete them first");
        }
        Long jobs = catalog.queryForObject(
                "select count(*) from job where cluster = ? and status in ('QUEUED', 'RUNNING')", Long.class, name);
        if (jobs != null && jobs > 0) {
            throw new ConflictException("cluster '" + name + "' has " + jobs + " unfinished job(s)");
        }
        catalog.update("delete from backup_file where backup_id in (select id from backup where cluster = ?)", name);
        catalog.update("delete from backup where cluster = ?", name);
        clusters.delete(cluster);
    }

    @Transactional(readOnly = true)
    public ClusterView get(String name) {
        return ClusterView.of(access.find(name));
    }

    @Transactional(readOnly = true)
    public List<ClusterView> list() {
        return clusters.findAll(Sort.by("name")).stream().map(ClusterView::of).toList();
    }

    /**
     * The cluster's data directory: as its running server reports it now (data_directory, which needs a
     * superuser or pg_read_all_settings), else as the catalog last recorded it. Null when neither knows.
     */
    @Transactional
    public String dataDirectory(String name) {
        Cluster cluster = access.find(name);
        try {
            ServerInfo server = access.serverInfo(cluster.settings());
            if (server.dataDirectory() != null) {
                cluster.detected(server, tools.fitting(server.major()).orElse(null));
            }
        } catch (SQLException | InvalidRequestException e) {
            // down (an in-place recovery often starts so): the recorded one stands
        }
        return cluster.getDataDirectory();
    }

    /** The configuration file the running server reads (config_file), or null when it cannot be asked. */
    public String configFile(String name) {
        Cluster cluster = access.find(name);
        try (Connection conn = access.connect(cluster.settings(), cluster.getMaintenanceDatabase());
                ResultSet rs = conn.createStatement().executeQuery(
                        "select setting from pg_settings where name = 'config_file'")) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            return null;
        }
    }

    /** Whether the cluster answers a connection right now. */
    public boolean reachable(String name) {
        Cluster cluster = access.find(name);
        try (Connection ignored = access.connect(cluster.settings(), cluster.getMaintenanceDatabase())) {
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    /** The newest successful backup of a cluster, read straight from the catalog. */
    public LastBackup lastBackup(String name) {
        List<LastBackup> rows = catalog.query("""
                select id, kind, finished_at, size_bytes from backup
                where cluster = ? and status = 'SUCCEEDED' order by finished_at desc limit 1""",
                (rs, i) -> new LastBackup(rs.getObject(1, java.util.UUID.class), rs.getString(2),
                        rs.getObject(3, java.time.OffsetDateTime.class).toInstant(), rs.getLong(4)),
                name);
        return rows.isEmpty() ? null : rows.get(0);
    }

    /**
     * The server's own view of archiving (pg_stat_archiver), or null when it cannot be reached. A failure
     * newer than the last success means archive_command is failing now.
     */
    public ArchiverStatus archiverStatus(String name) {
        Cluster cluster = access.find(name);
        try (Connection conn = access.connect(cluster.settings(), cluster.getMaintenanceDatabase())) {
            // a server that accepted the connection and then stopped answering must not hold the prober for good
            conn.setNetworkTimeout(Runnable::run, (int) ARCHIVER_READ_TIMEOUT.toMillis());
            return archiverStatus(conn);
        } catch (SQLException e) {
            return null;
        }
    }

    private static final java.time.Duration ARCHIVER_READ_TIMEOUT = java.time.Duration.ofSeconds(10);

    private static ArchiverStatus archiverStatus(Connection conn) throws SQLException {
        try (ResultSet rs = conn.createStatement().executeQuery("select archived_count, last_archived_time, "
                + "failed_count, last_failed_time, last_failed_wal from pg_stat_archiver")) {
            rs.next();
            java.time.OffsetDateTime archived = rs.getObject(2, java.time.OffsetDateTime.class);
            java.time.OffsetDateTime failed = rs.getObject(4, java.time.OffsetDateTime.class);
            return new ArchiverStatus(rs.getLong(1), archived == null ? null : archived.toInstant(), rs.getLong(3),
                    failed == null ? null : failed.toInstant(), rs.getString(5));
        }
    }

    /** pg_stat_archiver's counters. */
    public record ArchiverStatus(long archivedCount, java.time.Instant lastArchivedTime, long failedCount,
            java.time.Instant lastFailedTime, String lastFailedWal) {

        public boolean failingNow() {
            return lastFailedTime != null && (lastArchivedTime == null || lastFailedTime.isAfter(lastArchivedTime));
        }
    }

    /**
     * The newest successful backup that holds data (not schema-only, not roles and tablespaces only): what
     * the RPO is measured against.
     */
    public LastBackup lastDataBackup(String name) {
        List<LastBackup> rows = catalog.query("""
                select id, kind, finished_at, size_bytes from backup
                where cluster = ? and status = 'SUCCEEDED'
                  and options not like '%"schemaOnly":true%' and options not like '%"globalsOnly":true%'
                order by finished_at desc limit 1""",
                (rs, i) -> new LastBackup(rs.getObject(1, java.util.UUID.class), rs.getString(2),
                        rs.getObject(3, java.time.OffsetDateTime.class).toInstant(), rs.getLong(4)),
                name);
        return rows.isEmpty() ? null : rows.get(0);
    }

    /** The newest restore drill's restore time on this cluster's backups, or null when none has run. */
    /** The restore time of the newest drill that passed: a failed drill measures no RTO. */
    public MeasuredRto measuredRto(String name) {
        List<MeasuredRto> rows = catalog.query("""
                select drill_seconds, id, verified_at, verification_status from backup
                where cluster = ? and drill_seconds is not null and verification_level = 'RESTORE'
                and verification_status = 'PASSED' order by verified_at desc limit 1""",
                (rs, i) -> new MeasuredRto(rs.getDouble(1), rs.getObject(2, java.util.UUID.class),
                        rs.getObject(3, java.time.OffsetDateTime.class).toInstant(), "PASSED".equals(rs.getString(4))),
                name);
        return rows.isEmpty() ? null : rows.get(0);
    }

    /**
     * The newest restore drill of either kind (DUMP or BASE), passed or failed; null when none ran. A failed drill
     * may have no restore time.
     */
    public LastDrill lastDrill(String name) {
        List<LastDrill> rows = catalog.query("""
                select id, verified_at, verification_status, drill_seconds from backup
                where cluster = ? and verification_level = 'RESTORE' and verified_at is not null
                order by verified_at desc limit 1""",
                (rs, i) -> new LastDrill(rs.getObject(1, java.util.UUID.class),
                        rs.getObject(2, java.time.OffsetDateTime.class).toInstant(), "PASSED".equals(rs.getString(3)),
                        rs.getObject(4) == null ? null : rs.getDouble(4)),
                name);
        return rows.isEmpty() ? null : rows.get(0);
    }

    /** The newest drill: of which backup, when, whether it passed, and its restore time if it got that far. */
    public record LastDrill(java.util.UUID backupId, java.time.Instant drilledAt, boolean passed, Double seconds) {
    }

    /** How long the newest passing drill took to restore, of which backup, when. */
    public record MeasuredRto(double seconds, java.util.UUID backupId, java.time.Instant drilledAt, boolean passed) {
    }

    /** The newest successful backup's id, kind, end time and size. */
    public record LastBackup(java.util.UUID id, String kind, java.time.Instant finishedAt, long sizeBytes) {
    }

    private void configure(Cluster cluster, ClusterSettings settings) {
        validate(settings);
        ServerInfo server;
        try {
            server = access.serverInfo(settings);
        } catch (SQLException e) {
            throw new InvalidRequestException("cannot connect to " + settings.host() + ":" + settings.port()
                    + " as " + settings.username() + ": " + e.getMessage());
        }
        PostgresTools.ToolSet set;
        try {
            set = tools.forServer(server.major());
        } catch (InvalidRequestException missing) {
            // no client tools of its major here: only a BLOCKS backup read from its data directory on this host works
            if (!hostRead || !server.dataDirectoryReadableHere()) {
                throw new InvalidRequestException(missing.getMessage() + " Without them, pgvault can only take BLOCKS "
                        + "BASE backups of a server whose data directory it reads on its own host, "
                        + (hostRead ? "and it cannot read " + (server.dataDirectory() == null
                                ? "this one's (the role may not see data_directory)" : server.dataDirectory() + " here")
                                : "which pgvault.blocks.host-read=false turns off") + ".");
            }
            set = null;
        }
        cluster.connection(settings, clock.instant());
        cluster.detected(server, set);
    }

    private void validate(ClusterSettings s) {
        if (s.repository() != null) {
            repositories.requireConfigured("repository", s.repository());
        }
        if (s.walCopyTo() != null) {
            repositories.requireConfigured("walCopyTo", s.walCopyTo());
            if (s.walCopyTo().equals(repositories.target(s.repository()))) {
                throw new InvalidRequestException("walCopyTo", "walCopyTo names a second repository for the "
                        + "archived WAL, other than the one it is pushed to (" + s.walCopyTo() + ")");
            }
        }
        if (s.password() != null && (s.password().contains("\n") || s.password().contains("\0"))) {
            throw new InvalidRequestException("password", "a password may not contain a newline or NUL");
        }
        if (s.password() != null && s.password().length() > 512) {
            throw new InvalidRequestException("password", "a password may have at most 512 characters");
        }
        if (s.retention() != null) {
            s.retention().validated();
        }
        SanityQuery.validate(s.sanityQueries());
        if (s.timeZone() != null) {
            TimeZones.check("timeZone", s.timeZone());
        }
        if (s.rpo() != null) {
            try {
                Duration rpo = Duration.parse(s.rpo());
                if (rpo.isNegative() || rpo.isZero()) {
                    throw new InvalidRequestException("rpo", "rpo must be a positive ISO-8601 duration, e.g. PT24H");
                }
            } catch (DateTimeParseException e) {
                throw new InvalidRequestException("rpo", "rpo must be an ISO-8601 duration, e.g. PT24H");
            }
        }
    }
}
