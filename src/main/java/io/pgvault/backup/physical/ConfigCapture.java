package io.pgvault.backup.physical;

import io.pgvault.backup.ServerConfig;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ConfSyntax;
import io.pgvault.job.JobContext;
import io.pgvault.storage.HashingOutputStream;
import io.pgvault.storage.StagingArea;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * Captures, through the backup's own connection, the configuration files a server keeps outside its data
 * directory (Debian and Ubuntu keep postgresql.conf, pg_hba.conf and pg_ident.conf in
 * /etc/postgresql/VERSION/NAME), with the files and directories they include: pg_basebackup copies only the
 * data directory, and a copy without them does not start. Each file becomes a backup file under
 * {@code config/} (hashed like every other). Where the role may not read them, the backup goes on with a
 * warning that names the privilege that would help.
 */
@Component
class ConfigCapture {

    static final String PREFIX = "config";
    private static final int MAX_FILES = 200;
    private static final long MAX_BYTES = 16L * 1024 * 1024;

    private final ClusterAccess clusters;

    ConfigCapture(ClusterAccess clusters) {
        this.clusters = clusters;
    }

    /** What was captured (null when the server's file settings could not be seen), and warnings. */
    record Captured(ServerConfig config, List<String> warnings) {
    }

    Captured capture(String cluster, String database, StagingArea area, JobContext context) {
        List<String> warnings = new ArrayList<>();
        try (Connection conn = clusters.connect(cluster, database)) {
            Map<String, String> settings = settings(conn);
            String dataDirectory = settings.get("data_directory");
            if (dataDirectory == null || settings.get("config_file") == null) {
                warnings.add("the server's configuration files were not captured: the role may not see where they "
                        + "are (data_directory, config_file); GRANT pg_read_all_settings TO " + user(conn)
                        + " would let it. Copies of this backup start with a minimal configuration");
                return new Captured(null, warnings);
            }
            Walk walk = new Walk(conn, Path.of(dataDirectory), warnings);
            for (String key : List.of("config_file", "hba_file", "ident_file")) {
                walk.file(Path.of(settings.get(key)), !key.equals("config_file") ? Kind.HBA : Kind.CONF, true);
            }
            walk.run();
            List<ServerConfig.File> files = new ArrayList<>();
            for (Map.Entry<Path, byte[]> f : walk.read.entrySet()) {
                String stored = PREFIX + f.getKey();
                try (HashingOutputStream out = area.create(stored, n -> { })) {
                    out.write(f.getValue());
                }
                files.add(new ServerConfig.File(f.getKey().toString(), stored));
            }
            Integer port = settings.get("port") == null ? null : Integer.valueOf(settings.get("port"));
            ServerConfig config = new ServerConfig(dataDirectory, settings.get("config_file"),
                    settings.get("hba_file"), settings.get("ident_file"), port, files,
                    walk.directories.stream().map(Path::toString).toList());
            if (!files.isEmpty()) {
                context.log("pgvault: captured " + files.size() + " configuration file(s) from outside the data "
                        + "directory: " + files.stream().map(ServerConfig.File::path).toList());
            }
            return new Captured(config, warnings);
        } catch (SQLException | IOException e) {
            warnings.add("the server's configuration files were not captured: " + e.getMessage());
            return new Captured(null, warnings);
        }
    }

    private static Map<String, String> settings(Connection conn) throws SQLException {
        Map<String, String> settings = new LinkedHashMap<>();
        try (ResultSet rs = conn.createStatement().executeQuery("select name, setting from pg_settings where name in "
                + "('data_directory', 'config_file', 'hba_file', 'ident_file', 'port')")) {
            while (rs.next()) {
                settings.put(rs.getString(1), rs.getString(2));
            }
        }
        return settings;
    }

    private static String user(Connection conn) throws SQLException {
        try (ResultSet rs = conn.createStatement().executeQuery("select quote_ident(current_user)")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private enum Kind { CONF, HBA }

    /** Reads the files outside the data directory, following include, include_if_exists and include_dir. */
    private static final class Walk {
        private final Connection conn;
        private final Path dataDirectory;
        private final List<String> warnings;
        private final Map<Path, byte[]> read = new LinkedHashMap<>();
        private final Set<Path> directories = new LinkedHashSet<>();
        private final Deque<Object[]> queue = new ArrayDeque<>();
        private long bytes;
        private boolean refused;

        Walk(Connection conn, Path dataDirectory, List<String> warnings) {
            this.conn = conn;
            this.dataDirectory = dataDirectory;
            this.warnings = warnings;
        }

        void file(Path path, Kind kind, boolean required) {
            queue.add(new Object[] {path.normalize(), kind, required});
        }

        void run() throws SQLException {
            while (!queue.isEmpty() && !refused) {
                Object[] next = queue.poll();
                Path path = (Path) next[0];
                if (path.startsWith(dataDirectory) || read.containsKey(path)) {
                    continue; // base.tar holds what lies inside the data directory
                }
                if (read.size() >= MAX_FILES || bytes > MAX_BYTES) {
                    warnings.add("configuration capture stopped at " + MAX_FILES + " files / " + MAX_BYTES + " bytes");
                    return;
                }
                byte[] content = readFile(path, (Boolean) next[2]);
                if (content == null) {
                    continue;
                }
                read.put(path, content);
                bytes += content.length;
                includes(path, content, (Kind) next[1]);
            }
        }

        private void includes(Path file, byte[] content, Kind kind) throws SQLException {
            for (String line : new String(content, StandardCharsets.UTF_8).lines().toList()) {
                ConfSyntax.Setting s = kind == Kind.CONF ? ConfSyntax.parse(line) : hbaInclude(line);
                if (s == null || !s.isInclude()) {
                    continue;
                }
                Path target = s.target(file);
                if (s.name().equals("include_dir")) {
                    directory(target, kind);
                } else {
                    file(target, kind, s.name().equals("include"));
                }
            }
        }

        /** pg_hba.conf and pg_ident.conf include other files with a bare keyword (PostgreSQL 16 and later). */
        private static ConfSyntax.Setting hbaInclude(String line) {
            String s = line.strip();
            return s.startsWith("include") ? ConfSyntax.parse(s) : null;
        }

        private void directory(Path dir, Kind kind) throws SQLException {
            if (dir.startsWith(dataDirectory)) {
                return;
            }
            directories.add(dir);
            List<String> names = new ArrayList<>();
            try (PreparedStatement st = conn.prepareStatement("select pg_ls_dir(?, true, false) order by 1")) {
                st.setString(1, dir.toString());
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        names.add(rs.getString(1));
                    }
                }
            } catch (SQLException e) {
                refusedOrWarn(dir, e);
                return;
            }
            // PostgreSQL reads the .conf files of an include_dir, in name order, skipping hidden ones
            names.stream().filter(n -> n.endsWith(".conf") && !n.startsWith(".")).sorted()
                    .forEach(n -> file(dir.resolve(n), kind, true));
        }

        private byte[] readFile(Path path, boolean required) throws SQLException {
            try (PreparedStatement st = conn.prepareStatement("select pg_read_binary_file(?, 0, ?, ?)")) {
                st.setString(1, path.toString());
                st.setLong(2, MAX_BYTES);
                st.setBoolean(3, !required);
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    return rs.getBytes(1);
                }
            } catch (SQLException e) {
                refusedOrWarn(path, e);
                return null;
            }
        }

        private void refusedOrWarn(Path path, SQLException e) throws SQLException {
            if ("42501".equals(e.getSQLState())) {
                refused = true;
                read.clear();
                directories.clear();
                warnings.add("the server's configuration files outside its data directory (" + path + " and the "
                        + "others) were not captured: the role may not read server files; GRANT "
                        + "pg_read_server_files TO " + user(conn) + " would let it. Copies of this backup start "
                        + "with a minimal configuration instead");
                return;
            }
            if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
                throw e;
            }
            warnings.add("configuration file " + path + " was not captured: " + e.getMessage());
        }
    }
}
