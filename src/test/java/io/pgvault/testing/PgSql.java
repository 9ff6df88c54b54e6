package io.pgvault.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/** SQL helpers over JDBC for a {@link PgCluster}: statements, queries, databases, roles and content fingerprints. */
abstract sealed class PgSql permits PgCluster, DebianCluster {

    private static final String[] FINGERPRINT_SESSION = {
        "SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, MDY'", "SET IntervalStyle = 'postgres'",
        "SET extra_float_digits = 1", "SET bytea_output = 'hex'", "SET lc_monetary = 'C'" };

    // The row text of each table; an oid column that names a large object shows its content's md5 instead,
    // since a restore may give large objects new oids.
    private static final String USER_TABLES = """
            SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname),
                (SELECT coalesce(string_agg(CASE WHEN a.atttypid = 'oid'::regtype THEN format(
                    'coalesce((SELECT md5(lo_get(m.oid)) FROM pg_largeobject_metadata m WHERE m.oid = t.%1$I), t.%1$I::text)',
                    a.attname) ELSE format('t.%I', a.attname) END, ', ' ORDER BY a.attnum), '')
                 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
            ORDER BY 1, 2""";

    private static final String TABLE_FINGERPRINT = """
            SELECT count(*), md5(coalesce(string_agg(r, E'\\n' ORDER BY r COLLATE "C"), ''))
            FROM (SELECT ROW(%s)::text AS r FROM %s t) fp""";

    // Content only: a restore may give large objects new oids.
    private static final String LARGE_OBJECT_FINGERPRINT = """
            SELECT count(*), md5(coalesce(string_agg(m, E'\\n' ORDER BY m COLLATE "C"), ''))
            FROM (SELECT md5(lo_get(oid)) AS m FROM pg_largeobject_metadata) lo""";

    /** A JDBC URL for database {@code db}. */
    public abstract String jdbcUrl(String db);

    /** The superuser the helpers connect as. */
    public abstract String superuser();

    abstract void prependHbaLine(String lines);

    /** Puts a line before the others in pg_hba.conf and reloads the server's configuration. */
    public void prependHbaLineAndReload(String line) {
        prependHbaLine(line);
        execute("postgres", "SELECT pg_reload_conf()");
    }

    /** The superuser's password, or null where trust lets it in. */
    public String password() {
        return null;
    }

    /** Opens a connection to {@code db} as the superuser; the caller closes it. */
    public Connection connect(String db) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", superuser());
        if (password() != null) {
            props.setProperty("password", password());
        }
        props.setProperty("ApplicationName", "pgvault-test");
        props.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(jdbcUrl(db), props);
    }

    /** Runs each statement in autocommit mode, in order. */
    public void execute(String db, String... sql) {
        try (Connection connection = connect(db); Statement statement = connection.createStatement()) {
            for (String each : sql) {
                statement.execute(each);
            }
        }
        catch (SQLException ex) {
            throw new IllegalStateException("SQL failed in database '" + db + "': " + ex.getMessage(), ex);
        }
    }

    /** Runs a query (with optional {@code ?} parameters) and returns every row as column label to value. */
    public List<Map<String, Object>> query(String db, String sql, Object... params) {
        try (Connection connection = connect(db); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                statement.setObject(i + 1, params[i]);
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            try (ResultSet result = statement.executeQuery()) {
                ResultSetMetaData meta = result.getMetaData();
                while (result.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int column = 1; column <= meta.getColumnCount(); column++) {
                        row.put(meta.getColumnLabel(column), result.getObject(column));
                    }
                    rows.add(row);
                }
            }
            return rows;
        }
        catch (SQLException ex) {
            throw new IllegalStateException("query failed in database '" + db + "': " + ex.getMessage(), ex);
        }
    }

    /** The first column of the first row, or null when there is no row. */
    public Object queryValue(String db, String sql, Object... params) {
        List<Map<String, Object>> rows = query(db, sql, params);
        return rows.isEmpty() ? null : rows.get(0).values().iterator().next();
    }

    /** Switches WAL; returns the name of the segment it closed (the one being written before the switch). */
    public String switchWal() {
        String segment = (String) queryValue("postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())");
        execute("postgres", "SELECT pg_switch_wal()");
        return segment;
    }

    /** Creates a database; any name works, it is quoted. */
    public void createDatabase(String name) {
        execute("postgres", "CREATE DATABASE " + quoteIdent(name));
    }

    /** Drops a database if it exists, ending its sessions ({@code WITH (FORCE)}). */
    public void dropDatabase(String name) {
        execute("postgres", "DROP DATABASE IF EXISTS " + quoteIdent(name) + " WITH (FORCE)");
    }

    /** Whether a database of that exact name exists. */
    public boolean databaseExists(String name) {
        return (Boolean) queryValue("postgres", "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ?)", name);
    }

    /** Waits until a session of database {@code db} waits for a lock (a tool blocked by a test's lock). */
    public void awaitLockWaiter(String db) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (((Number) queryValue("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = ? "
                + "AND wait_event_type = 'Lock'", db)).longValue() == 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no session of " + db + " ever waited for a lock");
            }
            try {
                Thread.sleep(100);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
        }
    }

    /** Creates a LOGIN SUPERUSER role that must give its SCRAM password over TCP (replication too); waits until enforced. */
    public void createPasswordUser(String role, String password) {
        if (role.contains("\"")) {
            throw new IllegalArgumentException("pg_hba.conf cannot quote a role name with '\"': " + role);
        }
        execute("postgres", "SET password_encryption = 'scram-sha-256'",
                "CREATE ROLE " + quoteIdent(role) + " LOGIN SUPERUSER PASSWORD " + quoteLiteral(password));
        // replication too, so that pg_basebackup as this role also needs the password
        prependHbaLine("host all \"" + role + "\" 127.0.0.1/32 scram-sha-256\n"
                + "host replication \"" + role + "\" 127.0.0.1/32 scram-sha-256");
        execute("postgres", "SELECT pg_reload_conf()");
        // The postmaster reloads asynchronously: wait until a password-less login is refused.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            Properties props = new Properties();
            props.setProperty("user", role);
            try (Connection ignored = DriverManager.getConnection(jdbcUrl("postgres"), props)) {
                Thread.sleep(20);
            }
            catch (SQLException refused) {
                return;
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
        }
        throw new IllegalStateException("pg_hba.conf change for role " + role + " did not take effect");
    }

    /** Row count and content md5 of every user table ({@code schema.table}, raw names) plus {@code pg_largeobject}. */
    public Map<String, TableFingerprint> fingerprints(String db) {
        try (Connection connection = connect(db)) {
            return fingerprints(connection);
        } catch (SQLException ex) {
            throw new IllegalStateException("fingerprint failed in database '" + db + "': " + ex.getMessage(), ex);
        }
    }

    /** As {@link #fingerprints(String)}, over a connection to any server (a recovered copy, say). */
    public static Map<String, TableFingerprint> fingerprints(Connection connection) throws SQLException {
        Map<String, TableFingerprint> fingerprints = new TreeMap<>();
        try (Statement statement = connection.createStatement()) {
            for (String setting : FINGERPRINT_SESSION) {
                statement.execute(setting);
            }
            Map<String, String> queries = new LinkedHashMap<>();
            try (ResultSet result = statement.executeQuery(USER_TABLES)) {
                while (result.next()) {
                    queries.put(result.getString(1) + "." + result.getString(2),
                            TABLE_FINGERPRINT.formatted(result.getString(4), result.getString(3)));
                }
            }
            for (Map.Entry<String, String> table : queries.entrySet()) {
                fingerprints.put(table.getKey(), fingerprint(statement, table.getValue()));
            }
            fingerprints.put("pg_largeobject", fingerprint(statement, LARGE_OBJECT_FINGERPRINT));
            return fingerprints;
        }
    }

    private static TableFingerprint fingerprint(Statement statement, String sql) throws SQLException {
        try (ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return new TableFingerprint(result.getLong(1), result.getString(2));
        }
    }

    /** Quotes an SQL identifier: {@code a"b} becomes {@code "a""b"}. */
    public static String quoteIdent(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** Quotes an SQL string literal (standard_conforming_strings on). */
    public static String quoteLiteral(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
