package io.pgvault.testing;

import io.pgvault.security.SecretBox;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.data.jpa.test.autoconfigure.DataJpaTest;
import org.springframework.boot.jpa.test.autoconfigure.TestEntityManager;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.bean.override.mockito.MockitoBean;

/**
 * The base of the catalog slice tests: the entities, the repositories, Flyway's migrations and Hibernate's schema
 * validation, and nothing else (no job engine, no web, no storage). By default on an in-memory H2, as the server's
 * default catalog; a subclass annotated {@link OnPostgresCatalog} runs the same tests on PostgreSQL, the
 * production catalog. Each test runs in a transaction that is rolled back.
 *
 * <p>Everything a slice context needs is declared here, once, so that all H2 subclasses share one cached context
 * and all PostgreSQL ones another. The sealed secret columns of a cluster need the server's key: a mock stands in
 * for it, and no catalog query test reads a secret.
 */
@DataJpaTest(showSql = false)
public abstract class CatalogSliceTest {

    /** The instant the tests' rows are dated from. */
    protected static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    @MockitoBean
    protected SecretBox secrets;
    @Autowired
    protected TestEntityManager entities;
    @Autowired
    protected JdbcTemplate jdbc;

    /** Registers a cluster row (backups and WAL files refer to their cluster). */
    protected void cluster(String name) {
        OffsetDateTime at = OffsetDateTime.ofInstant(NOW, ZoneOffset.UTC);
        jdbc.update("insert into cluster (name, host, port, username, maintenance_database, ssl_mode, wal_archive, "
                + "created_at, updated_at) values (?, '127.0.0.1', 5432, 'postgres', 'postgres', 'prefer', 'NONE', "
                + "?, ?)", name, at, at);
    }

    /** Writes what is pending and forgets every loaded entity: the next read comes from the database. */
    protected void flushAndClear() {
        entities.flush();
        entities.clear();
    }
}
