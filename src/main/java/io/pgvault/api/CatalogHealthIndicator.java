package io.pgvault.api;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** The catalog database answers and holds pgvault's schema. */
@Component("catalog")
class CatalogHealthIndicator extends AbstractHealthIndicator {

    private final JdbcTemplate jdbc;

    CatalogHealthIndicator(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Long backups = jdbc.queryForObject("select count(*) from backup", Long.class);
        Long clusters = jdbc.queryForObject("select count(*) from cluster", Long.class);
        builder.up().withDetail("clusters", clusters).withDetail("backups", backups);
    }
}
