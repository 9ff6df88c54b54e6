package io.pgvault.job;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.ConflictException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The pgvault instances on this catalog: each writes its row (name, host, version) when it starts, renews its
 * heartbeat with its jobs' (every {@code pgvault.jobs.heartbeat-interval}) and removes it when it stops. One
 * whose heartbeat is older than {@code pgvault.jobs.stale-after} is dead: a living instance fails its running
 * jobs (see the job sweeper), and work placed on its host waits for another instance there.
 */
@Component
public class Instances {

    private static final Logger log = LoggerFactory.getLogger(Instances.class);
    private static final Duration FORGET_AFTER = Duration.ofDays(7);

    private final JdbcTemplate catalog;
    private final Clock clock;
    private final String name;
    private final String host;
    private final Duration staleAfter;
    private final String version;

    Instances(JdbcTemplate catalog, Clock clock, PgvaultProperties properties) {
        this.catalog = catalog;
        this.clock = clock;
        String machine = new PgvaultProperties.Instance(null).hostName();
        this.name = properties.jobs().instanceName() != null ? properties.jobs().instanceName() : machine;
        this.host = properties.instance() == null ? machine : properties.instance().hostName();
        this.staleAfter = properties.jobs().staleAfter();
        String v = Instances.class.getPackage().getImplementationVersion();
        this.version = v != null ? v : "dev";
    }

    /** One instance as the catalog has it. */
    public record Instance(String name, String host, String version, Instant startedAt, Instant heartbeatAt,
            boolean alive) {
    }

    /** This instance's name ({@code pgvault.jobs.instance-name}, default: the machine's host name). */
    public String name() {
        return name;
    }

    /** The host this instance runs on ({@code pgvault.instance.host}). */
    public String host() {
        return host;
    }

    void register() {
        Timestamp now = Timestamp.from(clock.instant());
        String previous = catalog.query("select host from instance where name = ?", (rs, i) -> rs.getString(1), name)
                .stream().findFirst().orElse(null);
        if (previous == null) {
            catalog.update("insert into instance (name, host, version, started_at, heartbeat_at) values (?, ?, ?, ?, ?)",
                    name, host, version, now, now);
        } else {
            catalog.update("update instance set host = ?, version = ?, started_at = ?, heartbeat_at = ? where name = ?",
                    host, version, now, now, name);
        }
        catalog.update("delete from instance where heartbeat_at < ?", Timestamp.from(clock.instant().minus(FORGET_AFTER)));
        log.info("pgvault instance '{}' on host '{}' (version {})", name, host, version);
    }

    void heartbeat() {
        Timestamp now = Timestamp.from(clock.instant());
        if (catalog.update("update instance set heartbeat_at = ? where name = ?", now, name) == 0) {
            catalog.update("insert into instance (name, host, version, started_at, heartbeat_at) values (?, ?, ?, ?, ?)",
                    name, host, version, now, now);
        }
    }

    void deregister() {
        try {
            catalog.update("delete from instance where name = ?", name);
        } catch (RuntimeException e) {
            log.warn("Could not remove instance '{}' from the catalog: {}", name, e.toString());
        }
    }

    /** Every instance the catalog knows, alive ones first. */
    public List<Instance> list() {
        Instant cutoff = clock.instant().minus(staleAfter);
        return catalog.query("select name, host, version, started_at, heartbeat_at from instance order by name",
                (rs, i) -> {
                    Instant beat = rs.getTimestamp(5).toInstant();
                    return new Instance(rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.getTimestamp(4).toInstant(), beat, !beat.isBefore(cutoff));
                }).stream().sorted((a, b) -> Boolean.compare(b.alive(), a.alive())).toList();
    }

    /** Whether an instance of the host is alive now. */
    public boolean aliveOn(String host) {
        return list().stream().anyMatch(i -> i.alive() && i.host().equals(host));
    }

    /**
     * Refuses work placed on a host where no instance is alive, naming the host and the ones that are.
     */
    public void requireAliveOn(String host, String what) {
        if (host == null || aliveOn(host)) {
            return;
        }
        List<String> alive = list().stream().filter(Instance::alive).map(i -> i.name() + " on " + i.host()).toList();
        throw new ConflictException(what + " must run on host '" + host + "' (the cluster's dataHost), and no "
                + "pgvault instance there is alive" + (alive.isEmpty() ? "" : " (alive: " + String.join(", ", alive)
                + ")") + ". Start pgvault on '" + host + "' with pgvault.instance.host=" + host + " and the same "
                + "catalog, repository and key, or change the cluster's dataHost");
    }
}
