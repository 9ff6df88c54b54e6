package io.pgvault.cluster;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.api.NotFoundException;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.springframework.stereotype.Component;

/** Connects to registered clusters over JDBC and prepares the environment for their tools. */
@Component
public class ClusterAccess {

    private final ClusterRepository clusters;
    private final PostgresTools tools;
    private final PassFiles passFiles;
    private final int connectTimeoutSeconds;

    ClusterAccess(ClusterRepository clusters, PostgresTools tools, PassFiles passFiles, PgvaultProperties properties) {
        this.clusters = clusters;
        this.tools = tools;
        this.passFiles = passFiles;
        this.connectTimeoutSeconds = (int) Math.max(1, properties.tools().connectTimeout().toSeconds());
    }

    public ClusterTarget target(String name) {
        return target(find(name));
    }

    /** The repository the cluster names for its backups and WAL; null: the default one. */
    public String repositoryOf(String cluster) {
        return find(cluster).getRepository();
    }

    /** The host that holds the cluster's data directory (its {@code dataHost}); null: not named. */
    public String dataHostOf(String cluster) {
        return find(cluster).getDataHost();
    }

    public Connection connect(String cluster, String database) throws SQLException {
        return connect(find(cluster).settings(), database);
    }

    /**
     * Connects with a registered cluster's credentials to a copy of it that pgvault started on this host
     * (a recovered server on {@code port}), over loopback.
     */
    public Connection connectToLocalCopy(String cluster, int port) throws SQLException {
        return connectToLocalCopy(cluster, port, find(cluster).getMaintenanceDatabase());
    }

    /** As above, to one database of the copy. */
    public Connection connectToLocalCopy(String cluster, int port, String database) throws SQLException {
        Cluster c = find(cluster);
        ClusterSettings s = c.settings();
        return connect(new ClusterSettings("127.0.0.1", port, s.username(), s.password(), s.maintenanceDatabase(),
                "prefer", s.walArchive(), s.rpo(), null, null, null, null, null, null), database);
    }

    /**
     * Opens a physical replication connection (as pg_basebackup and pg_receivewal do) and asks IDENTIFY_SYSTEM.
     * Returns null when that works; otherwise the server's refusal with what to change: the pg_hba.conf line
     * to add, or the REPLICATION attribute the role lacks.
     */
    public String replicationRefusal(String cluster) {
        ReplicationAdvice.Refusal refusal = replication(cluster);
        return refusal == null ? null : refusal.text();
    }

    /** As {@link #replicationRefusal}, with the server's message and the change to make apart. */
    ReplicationAdvice.Refusal replication(String cluster) {
        Cluster c = find(cluster);
        ClusterSettings s = c.settings();
        Properties props = properties(s);
        props.setProperty("replication", "true");
        props.setProperty("assumeMinServerVersion", "9.4");
        props.setProperty("preferQueryMode", "simple");
        try (Connection conn = DriverManager.getConnection(url(s, s.maintenanceDatabase()), props);
                ResultSet rs = conn.createStatement().executeQuery("IDENTIFY_SYSTEM")) {
            rs.next();
            return null;
        } catch (SQLException e) {
            return ReplicationAdvice.refusal(e, s.username());
        }
    }

    public boolean databaseExists(String cluster, String database) {
        Cluster c = find(cluster);
        try (Connection conn = connect(c.settings(), c.getMaintenanceDatabase());
                PreparedStatement st = conn.prepareStatement("select 1 from pg_database where datname = ?")) {
            st.setString(1, database);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new InvalidRequestException("cannot connect to cluster '" + cluster + "': " + e.getMessage());
        }
    }

    /** Opens a tool session; close it when the tools are done so the password file goes. */
    public ToolSession toolSession(String name) throws IOException {
        Cluster c = find(name);
        ClusterTarget target = target(c);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", target.tools().directory() + ":/usr/local/bin:/usr/bin:/bin");
        env.put("LC_ALL", "C.UTF-8");
        env.put("PGHOST", c.getHost());
        env.put("PGPORT", Integer.toString(c.getPort()));
        env.put("PGUSER", c.getUsername());
        env.put("PGSSLMODE", c.getSslMode());
        env.put("PGAPPNAME", "pgvault");
        env.put("PGCONNECT_TIMEOUT", Integer.toString(connectTimeoutSeconds));
        Path passFile = null;
        if (c.hasPassword()) {
            passFile = passFiles.write(c.settings().password());
            env.put("PGPASSFILE", passFile.toString());
        } else {
            passThrough(env, "HOME", "PGPASSFILE", "PGPASSWORD", "PGSERVICEFILE");
        }
        return new ToolSession(target, env, passFile);
    }

    Cluster find(String name) {
        return clusters.findById(name).orElseThrow(() -> new NotFoundException("no cluster named '" + name + "'"));
    }

    ClusterTarget target(Cluster c) {
        int major = c.getServerVersionNum() == null ? 0 : c.getServerVersionNum() / 10000;
        PostgresTools.ToolSet set = null;
        String missing = null;
        try {
            set = tools.forServer(major);
        } catch (InvalidRequestException e) {
            missing = "cluster '" + c.getName() + "': " + e.getMessage();
        }
        return new ClusterTarget(c.getName(), c.getHost(), c.getPort(), c.getUsername(), c.getMaintenanceDatabase(),
                c.getServerVersion(), set, missing);
    }

    Connection connect(ClusterSettings s, String database) throws SQLException {
        return DriverManager.getConnection(url(s, database), properties(s));
    }

    private Properties properties(ClusterSettings s) {
        Properties props = new Properties();
        props.setProperty("user", s.username());
        if (s.password() != null && !s.password().isEmpty()) {
            props.setProperty("password", s.password());
        }
        props.setProperty("sslmode", s.sslMode());
        props.setProperty("connectTimeout", Integer.toString(connectTimeoutSeconds));
        // the start-up and authentication too: a listener that accepts and never answers (not PostgreSQL, a stuck
        // proxy) would hold the caller for good
        props.setProperty("loginTimeout", Integer.toString(connectTimeoutSeconds));
        props.setProperty("ApplicationName", "pgvault");
        return props;
    }

    private static String url(ClusterSettings s, String database) {
        return "jdbc:postgresql://" + hostForUrl(s.host()) + ":" + s.port() + "/"
                + URLEncoder.encode(database, StandardCharsets.UTF_8).replace("+", "%20");
    }

    ServerInfo serverInfo(ClusterSettings s) throws SQLException {
        try (Connection conn = connect(s, s.maintenanceDatabase())) {
            String version;
            int versionNum;
            long segmentSize;
            String dataDirectory;
            try (ResultSet rs = conn.createStatement().executeQuery(
                    "select current_setting('server_version'), current_setting('server_version_num')::int, "
                            + "(select setting::bigint from pg_settings where name = 'wal_segment_size'), "
                            // pg_settings hides it from roles that may not see it (null) rather than failing
                            + "(select setting from pg_settings where name = 'data_directory')")) {
                rs.next();
                version = rs.getString(1).split(" ")[0];
                versionNum = rs.getInt(2);
                segmentSize = rs.getLong(3);
                dataDirectory = rs.getString(4);
            }
            return new ServerInfo(version, versionNum, segmentSize, dataDirectory, systemIdentifier(conn));
        }
    }

    /**
     * The id that every WAL page header of this server carries; null where pg_control_system() is missing
     * (before 9.6) or revoked: WAL pushes then go without the id check rather than the cluster being refused.
     */
    private static Long systemIdentifier(Connection conn) {
        try (ResultSet rs = conn.createStatement().executeQuery("select system_identifier from pg_control_system()")) {
            return rs.next() ? rs.getLong(1) : null;
        } catch (SQLException e) {
            return null;
        }
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static void passThrough(Map<String, String> env, String... names) {
        for (String name : names) {
            String value = System.getenv(name);
            if (value != null) {
                env.put(name, value);
            }
        }
    }
}
