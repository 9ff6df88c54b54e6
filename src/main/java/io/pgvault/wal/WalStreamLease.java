package io.pgvault.wal;

import io.pgvault.PgvaultProperties;
import java.io.IOException;
import java.net.InetAddress;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The leases in {@code wal_stream_lease} that let one instance at a time stream a cluster. A row outlives its
 * receiver until the cluster's slot is dropped, so an expired row marks a slot that some instance must still drop.
 */
@Component
class WalStreamLease {

    private final JdbcTemplate catalog;
    private final Clock clock;
    private final String owner;
    private final Duration lease;

    WalStreamLease(JdbcTemplate catalog, Clock clock, PgvaultProperties properties) {
        this.catalog = catalog;
        this.clock = clock;
        this.lease = properties.wal().streamLease();
        String instance = properties.jobs().instanceName();
        this.owner = (instance != null ? instance : host()) + "/" + UUID.randomUUID();
    }

    /** This instance's name in the lease rows. */
    String owner() {
        return owner;
    }

    /**
     * Takes or renews this instance's lease on the cluster's receiver; false when another instance holds it.
     * While the catalog is unreachable, answers {@code receiving}: a receiver that runs goes on.
     */
    boolean hold(String cluster, boolean receiving) {
        Instant now = clock.instant();
        Timestamp until = Timestamp.from(now.plus(lease));
        try {
            int updated = catalog.update("update wal_stream_lease set owner = ?, lease_until = ? where cluster = ? "
                    + "and (owner = ? or lease_until < ?)", owner, until, cluster, owner, Timestamp.from(now));
            if (updated == 1) {
                return true;
            }
            return catalog.update("insert into wal_stream_lease (cluster, owner, lease_until) select ?, ?, ? "
                    + "where not exists (select 1 from wal_stream_lease where cluster = ?)", cluster, owner, until,
                    cluster) == 1;
        } catch (DataAccessException e) {
            // the catalog is unreachable, or another instance inserted first
            return receiving;
        }
    }

    void release(String cluster) {
        try {
            catalog.update("delete from wal_stream_lease where cluster = ? and owner = ?", cluster, owner);
        } catch (DataAccessException e) {
            // it expires on its own
        }
    }

    /** Clusters whose lease ran out: nobody streams them, but their slot may still exist. */
    List<String> expired() {
        return catalog.queryForList("select cluster from wal_stream_lease where lease_until < ?", String.class,
                Timestamp.from(clock.instant()));
    }

    /** The instance that holds the cluster's lease now, or null. */
    String holder(String cluster) {
        List<String> holder = catalog.queryForList("select owner from wal_stream_lease where cluster = ? and "
                + "lease_until > ?", String.class, cluster, Timestamp.from(clock.instant()));
        return holder.isEmpty() ? null : holder.get(0);
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "pgvault";
        }
    }
}
