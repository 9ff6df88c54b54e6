package io.pgvault.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * A cluster in Debian's layout, made with {@code pg_createcluster} (postgresql-common, which .ci/run installs):
 * data in /var/lib/postgresql/VERSION/NAME, postgresql.conf, pg_hba.conf and pg_ident.conf in
 * /etc/postgresql/VERSION/NAME, SCRAM passwords on loopback, managed with pg_ctlcluster. Needs root, as
 * pg_createcluster does.
 */
public final class DebianCluster extends PgSql implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private final String version;
    private final String name;
    private final int port;
    private final String password;

    private DebianCluster(String version, String name, int port, String password) {
        this.version = version;
        this.name = name;
        this.port = port;
        this.password = password;
    }

    /** Creates and starts a cluster named {@code prefix} plus a random suffix; the postgres role gets a password. */
    public static DebianCluster create(String prefix) {
        if (!PgBinaries.runningAsRoot() || !Files.isExecutable(Path.of("/usr/bin/pg_createcluster"))) {
            throw new IllegalStateException("Debian-layout tests need root and pg_createcluster (apt-get install "
                    + "postgresql-common; .ci/run installs it)");
        }
        String version = PgBinaries.binDirectory().getParent().getFileName().toString();
        String name = prefix + HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
        int port = Ports.free();
        String password = "pw-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
        PgBinaries.exec(Path.of("/"), TIMEOUT, List.of("pg_createcluster", version, name, "-p", Integer.toString(port),
                "--start", "-o", "fsync=off", "-o", "max_wal_senders=4"));
        DebianCluster cluster = new DebianCluster(version, name, port, password);
        try {
            cluster.psql("ALTER ROLE postgres PASSWORD " + quoteLiteral(password));
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** Runs SQL through psql on the Unix socket as the postgres OS user (peer authentication). */
    public String psql(String sql) {
        return PgCluster.runAsOsUser("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "/var/run/postgresql", "-p",
                Integer.toString(port), "-d", "postgres", "-At", "-c", sql);
    }

    /** Writes an owner-only file of the server's OS user into the data directory. */
    public void writeDataFile(String file, String content) {
        try {
            Path staged = Files.createTempFile("pgvault-debian-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            Files.writeString(staged, content);
            try {
                Path target = dataDirectory().resolve(file);
                PgCluster.runAsOsUser("cp", staged.toString(), target.toString());
                PgCluster.runAsOsUser("chmod", "0600", target.toString());
            } finally {
                Files.delete(staged);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Restarts through pg_ctlcluster, as an operator would after changing archive_mode. */
    public void restart() {
        PgBinaries.exec(Path.of("/"), TIMEOUT, List.of("pg_ctlcluster", version, name, "restart"));
    }

    public Path dataDirectory() {
        return Path.of("/var/lib/postgresql", version, name);
    }

    public Path configDirectory() {
        return Path.of("/etc/postgresql", version, name);
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    @Override
    public String password() {
        return password;
    }

    @Override
    public String jdbcUrl(String db) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + db;
    }

    @Override
    public String superuser() {
        return "postgres";
    }

    @Override
    void prependHbaLine(String lines) {
        Path hba = configDirectory().resolve("pg_hba.conf");
        try {
            Path staged = Files.createTempFile("pgvault-hba-", ".conf",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            Files.writeString(staged, lines + "\n" + Files.readString(hba));
            PgCluster.runAsOsUser("cp", staged.toString(), hba.toString());
            Files.delete(staged);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops and drops the cluster, its /etc configuration and its data directory (pg_dropcluster). */
    @Override
    public void close() {
        try {
            PgBinaries.exec(Path.of("/"), TIMEOUT, List.of("pg_dropcluster", version, name, "--stop"));
        } catch (IllegalStateException e) {
            // already gone
        }
    }

    @Override
    public String toString() {
        return "DebianCluster[" + version + "/" + name + " on port " + port + "]";
    }
}
