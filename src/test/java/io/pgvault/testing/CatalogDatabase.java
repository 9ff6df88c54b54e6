package io.pgvault.testing;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A fresh PostgreSQL database for pgvault's catalog: in a Testcontainers PostgreSQL container when a Docker
 * engine answers, else a new database on the harness's own cluster. The test that uses it runs the same way
 * on both and is never skipped; {@link #where()} says which one it got.
 */
public final class CatalogDatabase implements AutoCloseable {

    private final String url;
    private final String username;
    private final String password;
    private final String where;
    private final PostgreSQLContainer container;

    private CatalogDatabase(String url, String username, String password, String where,
            PostgreSQLContainer container) {
        this.url = url;
        this.username = username;
        this.password = password;
        this.where = where;
        this.container = container;
    }

    /** A catalog database named {@code name}, empty. */
    public static CatalogDatabase create(String name) {
        if (dockerAnswers()) {
            PostgreSQLContainer container = new PostgreSQLContainer("postgres:15-alpine").withDatabaseName(name);
            container.start();
            return new CatalogDatabase(container.getJdbcUrl(), container.getUsername(), container.getPassword(),
                    "Testcontainers " + container.getDockerImageName(), container);
        }
        PgCluster pg = PgCluster.shared();
        if (pg.databaseExists(name)) {
            pg.dropDatabase(name);
        }
        pg.createDatabase(name);
        return new CatalogDatabase(pg.jdbcUrl(name), pg.superuser(), "", "the harness's cluster on port " + pg.port(),
                null);
    }

    private static boolean dockerAnswers() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    public String url() {
        return url;
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    /** Where the database runs, for the test's log. */
    public String where() {
        return where;
    }

    /** A new connection to the catalog database, as pgvault's own user. */
    public java.sql.Connection connect() throws java.sql.SQLException {
        return java.sql.DriverManager.getConnection(url, username, password);
    }

    /** The first column of the first row of {@code sql} run on the catalog database with {@code args}. */
    public Object queryValue(String sql, Object... args) {
        try (java.sql.Connection c = connect(); java.sql.PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                st.setObject(i + 1, args[i]);
            }
            try (java.sql.ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (container != null) {
            container.stop();
        }
    }
}
