package io.pgvault.recovery;

import io.pgvault.PgvaultProperties;
import io.pgvault.job.Instances;
import io.pgvault.backup.BackupView;
import io.pgvault.job.JobService;
import io.pgvault.job.TimerListener;
import io.pgvault.security.CopyTokenCheck;
import io.pgvault.storage.Sha256;
import io.pgvault.wal.WalArchiveService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * A recovered copy's WAL credential. A copy must fetch its cluster's WAL while it recovers, but it must never
 * push: a superuser of the copy can read its header file, and a push under a future segment name would make
 * the real server's archive_command fail with 409 for ever. So a copy's header file holds a token of its own
 * that may only fetch, and only the WAL its recovery can read ({@link WalScope}: a copy must not read the
 * cluster's other WAL for days), bound to the recovery job (whose promised WAL it guards), revoked when the copy is
 * dropped or replaced or its recovery promoted it, and at the latest after {@code pgvault.recovery.copy-token-ttl}.
 * Only the token's SHA-256 is stored. Whether a copy was dropped is judged by looking at its directory, so only
 * an instance on the copy's host judges it ({@link CopyHosts}): the sweep's timer is one per host.
 */
@Component
class CopyTokens implements CopyTokenCheck, TimerListener {

    private static final Logger log = LoggerFactory.getLogger(CopyTokens.class);
    static final String TIMER = "copy-tokens";
    private static final Duration SWEEP = Duration.ofMinutes(5);
    /** A sweep fired on another host than its own comes back soon, for an instance of its host to take it. */
    private static final Duration OTHER_HOST = Duration.ofSeconds(30);

    private final JdbcTemplate catalog;
    private final JobService jobs;
    private final Clock clock;
    private final Duration ttl;
    private final WalArchiveService wal;
    private final SecureRandom random = new SecureRandom();
    private final Instances instances;

    CopyTokens(JdbcTemplate catalog, JobService jobs, Clock clock, PgvaultProperties properties, Instances instances,
            WalArchiveService wal) {
        this.instances = instances;
        this.catalog = catalog;
        this.wal = wal;
        this.jobs = jobs;
        this.clock = clock;
        this.ttl = properties.recovery().copyTokenTtl();
    }

    /**
     * A new token for the copy a recovery job makes in {@code directory}; earlier copies' tokens for that
     * directory are revoked (the directory holds a new copy now). {@code promised}: the WAL segments the job
     * was promised when it was planned (see {@link #promised}); {@code scope}: the WAL it may fetch at all.
     */
    @Transactional
    String issue(String cluster, UUID jobId, UUID backupId, Path directory, List<String> promised, WalScope scope) {
        revokeDirectory(directory, "replaced by the copy of job " + jobId);
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Instant now = clock.instant();
        catalog.update("insert into copy_token (id, cluster, job_id, backup_id, data_directory, token_hash, promised, "
                + "wal_scope, created_at, expires_at, host) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", UUID.randomUUID(),
                cluster, jobId, backupId, directory.toString(), hash(token), String.join(",", promised),
                scope.format(), Timestamp.from(now), Timestamp.from(now.plus(ttl)), instances.host());
        jobs.ensureTimer(TIMER, instances.host(), now.plus(SWEEP));
        return token;
    }

    @Override
    public Optional<CopyCredential> check(String cluster, String token) {
        List<CopyCredential> found = catalog.query("select id, job_id from copy_token where token_hash = ? and "
                + "cluster = ? and revoked_at is null and expires_at > ?",
                (rs, i) -> new CopyCredential(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class)),
                hash(token), cluster, Timestamp.from(clock.instant()));
        return found.stream().findFirst();
    }

    /** What a copy recovered from {@code backup} as {@code plan} says may fetch (see {@link WalScope}). */
    WalScope scope(BackupView backup, RecoveryPlan plan) {
        return WalScope.of(wal.archived(backup.cluster()), backup, plan);
    }

    @Override
    public boolean allows(UUID tokenId, String file) {
        List<String> rows = catalog.queryForList("select wal_scope from copy_token where id = ?", String.class,
                tokenId);
        // a token issued before scopes were recorded fetches its cluster's WAL, as it did, until it expires
        return !rows.isEmpty() && (rows.get(0) == null || WalScope.parse(rows.get(0)).allows(file));
    }

    @Override
    public boolean promised(UUID tokenId, String file) {
        List<String> rows = catalog.queryForList("select promised from copy_token where id = ?", String.class, tokenId);
        if (rows.isEmpty() || rows.get(0) == null || rows.get(0).isEmpty()) {
            return false;
        }
        for (String range : rows.get(0).split(",")) {
            String[] ends = range.split("-");
            // segment names of one timeline order as their positions do
            if (file.length() == 24 && file.substring(0, 8).equals(ends[0].substring(0, 8))
                    && file.compareTo(ends[0]) >= 0 && file.compareTo(ends[1]) <= 0) {
                return true;
            }
        }
        return false;
    }

    /** The backups that live copies may still need WAL after (their tokens are valid). */
    List<UUID> heldBackups(String cluster) {
        return catalog.queryForList("select distinct backup_id from copy_token where cluster = ? and revoked_at is null "
                + "and expires_at > ? and backup_id is not null", UUID.class, cluster, Timestamp.from(clock.instant()));
    }

    /** A standing copy's credential lives on: its expiry moves to a full TTL from now (a revoked one stays so). */
    void renew(UUID jobId) {
        catalog.update("update copy_token set expires_at = ? where job_id = ? and revoked_at is null",
                Timestamp.from(clock.instant().plus(ttl)), jobId);
    }

    @Transactional
    void revokeJob(UUID jobId, String why) {
        catalog.update("update copy_token set revoked_at = ?, revoked_why = ? where job_id = ? and revoked_at is null",
                Timestamp.from(clock.instant()), why, jobId);
    }

    /** The same path on another host is another directory: only this host's copies there (and unknown ones). */
    private void revokeDirectory(Path directory, String why) {
        catalog.update("update copy_token set revoked_at = ?, revoked_why = ? where data_directory = ? and "
                + "revoked_at is null and (host = ? or host is null)", Timestamp.from(clock.instant()), why,
                directory.toString(), instances.host());
    }

    @Override
    public String kind() {
        return TIMER;
    }

    /**
     * Revokes the tokens of this host's copies that were dropped (their directory is gone or holds another
     * server). The timer {@code id} names the host whose copies it sweeps; fired on another host it only waits for
     * an instance there (a while later), and ends once that host has no live copy token. The id "sweep" of
     * earlier versions sweeps the host it fires on.
     */
    @Override
    public Instant fire(String id, Instant due) {
        String host = id.equals("sweep") ? instances.host() : id;
        List<Object[]> live = catalog.query("select t.id, t.data_directory, coalesce(t.host, j.placement, i.host) "
                + "from copy_token t left join job j on j.id = t.job_id left join instance i on i.name = j.owner "
                + "where t.revoked_at is null and t.expires_at > ?",
                (rs, i) -> new Object[] {rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3)},
                Timestamp.from(clock.instant())).stream().filter(row -> host.equals(row[2])).toList();
        if (!host.equals(instances.host())) {
            return live.isEmpty() ? null : clock.instant().plus(OTHER_HOST);
        }
        for (Object[] row : live) {
            Path directory = Path.of((String) row[1]);
            if (CopyHosts.dropped((String) row[2], instances.host(), directory)) {
                catalog.update("update copy_token set revoked_at = ?, revoked_why = ? where id = ? and revoked_at is null",
                        Timestamp.from(clock.instant()), "the copy in " + directory + " on host " + row[2]
                        + " was dropped", row[0]);
                log.info("Revoked the WAL credential of the dropped copy in {}", directory);
            }
        }
        return live.isEmpty() ? null : clock.instant().plus(SWEEP);
    }

    private static String hash(String token) {
        return Sha256.of(token.getBytes(StandardCharsets.UTF_8));
    }
}
