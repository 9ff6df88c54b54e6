package io.pgvault.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A throwaway PostgreSQL cluster made with the local binaries (or, for another major, the build's: see
 * {@link #serverBinDirectory(int)}): initdb and pg_ctl in a temp directory, listening on a free loopback
 * port; run as the {@code postgres} OS user when the JVM runs as root.
 */
public final class PgCluster extends PgSql implements AutoCloseable {

    private static final String HOST = "127.0.0.1";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Set<PgCluster> LIVE = ConcurrentHashMap.newKeySet();
    private static PgCluster shared;
    private static Path recoveryRoot;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(
                () -> LIVE.forEach(PgCluster::destroy), "pgcluster-cleanup"));
    }

    private final String name;
    private final Path bin;
    private final Path baseDirectory;
    private final Path dataDirectory;
    private final Map<String, String> settings;
    private final String initdbConfig;
    private final boolean isShared;
    private volatile int port;
    private volatile boolean running;

    private PgCluster(String name, Path bin, Path baseDirectory, Map<String, String> settings, boolean isShared) {
        this.name = name;
        this.bin = bin;
        this.baseDirectory = baseDirectory;
        this.dataDirectory = baseDirectory.resolve("data");
        this.settings = settings;
        this.isShared = isShared;
        try {
            this.initdbConfig = Files.readString(dataDirectory.resolve("postgresql.conf"));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Creates and starts a cluster with the harness defaults. */
    public static PgCluster start(String name) {
        return start(name, Map.of());
    }

    /** Creates and starts a cluster; {@code settings} (raw values, quoted here) override the defaults. */
    public static PgCluster start(String name, Map<String, String> settings) {
        return create(name, PgBinaries.binDirectory(), settings, false, java.util.List.of());
    }

    /** As {@link #start(String, Map)}, with more initdb options (such as {@code --wal-segsize=1}). */
    public static PgCluster start(String name, Map<String, String> settings, java.util.List<String> initdbOptions) {
        return create(name, PgBinaries.binDirectory(), settings, false, initdbOptions);
    }

    /**
     * Creates and starts a cluster of one PostgreSQL major version: 13 and 16 come from the build (Maven
     * Central's server binaries), the machine's own major from its installation.
     */
    public static PgCluster start(String name, int major, Map<String, String> settings) {
        return create(name, PgBinaries.serverBinDirectory(major), settings, false, java.util.List.of());
    }

    /** The directory of initdb, pg_ctl and postgres of one major version (see {@link #start(String, int, Map)}). */
    public static Path serverBinDirectory(int major) {
        return PgBinaries.serverBinDirectory(major);
    }

    /** The one cluster per JVM for tests that need no special settings; do not close it, a shutdown hook does. */
    public static synchronized PgCluster shared() {
        if (shared == null) {
            shared = create("shared", PgBinaries.binDirectory(), Map.of(), true, java.util.List.of());
        }
        else if (!shared.running) {
            shared.start();
        }
        return shared;
    }

    /** Creates the deterministic logical-backup fixture (schemas, tables, view, sequence, large object) in {@code db}. */
    public static void seedLogicalFixture(PgCluster cluster, String db) {
        Seed.logicalFixture(cluster, db);
    }

    /**
     * The recovery root of this JVM's tests ({@code pgvault.recovery.roots}): a directory of the test's own
     * user (mode 0755, so the server's OS user can reach what is made inside it), made once.
     */
    public static synchronized Path recoveryRoot() {
        if (recoveryRoot == null) {
            recoveryRoot = TempDirs.create("pgvault-test-roots-");
            try {
                Files.setPosixFilePermissions(recoveryRoot,
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return recoveryRoot;
    }

    /**
     * A new empty directory below {@link #recoveryRoot()} (mode 0755, owned by the test's user) where pgvault
     * may create data directories of recovered servers.
     */
    public static Path recoveryDirectory(String prefix) {
        try {
            Path dir = Files.createTempDirectory(recoveryRoot(), prefix);
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            return dir;
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Stops, if it runs, a server that pgvault started in {@code dataDirectory}, then deletes {@code base}. */
    public static void removeForeignServer(Path dataDirectory, Path base) {
        if (Files.exists(dataDirectory.resolve("postmaster.pid"))) {
            try {
                // pg_ctl of the directory's own major: what pgvault started it with
                int major = Integer.parseInt(Files.readString(dataDirectory.resolve("PG_VERSION")).trim());
                PgBinaries.run(PgBinaries.serverBinDirectory(major), base, TIMEOUT, "pg_ctl", "-D",
                        dataDirectory.toString(), "-m", "immediate", "-w", "-t", "30", "stop");
            }
            catch (IOException | RuntimeException ex) {
                // already stopped
            }
        }
        PgBinaries.deleteTree(base);
    }

    /** Writes an owner-only (0600) file into the data directory, as the server's OS user. */
    public void writeDataFile(String name, String content) {
        PgBinaries.writeAsOsUser(dataDirectory.resolve(name), content, "rw-------");
    }

    /** Runs a command with the server OS user's rights (as root through runuser); returns its output. */
    public static String runAsOsUser(String... argv) {
        java.util.List<String> command = new java.util.ArrayList<>();
        if (PgBinaries.runningAsRoot()) {
            command.addAll(java.util.List.of("runuser", "-u", PgBinaries.OS_USER, "--"));
        }
        command.addAll(java.util.List.of(argv));
        return PgBinaries.exec(Path.of("/"), Duration.ofMinutes(2), command);
    }

    /** Deletes a tree that holds server files (as the server's OS user first, when root). */
    public static void deleteTree(Path root) {
        PgBinaries.deleteTree(root);
    }

    /** The OS user servers run as ({@code postgres}). */
    public static String osUser() {
        return PgBinaries.OS_USER;
    }

    /** Whether the tests run as root (then servers and their files belong to {@link #osUser()}). */
    public static boolean runningAsRoot() {
        return PgBinaries.runningAsRoot();
    }

    /** The directory of {@code pg_ctl}, {@code pg_dump} and friends used by the harness. */
    public static Path binDirectory() {
        return PgBinaries.binDirectory();
    }

    private static PgCluster create(String name, Path bin, Map<String, String> settings, boolean isShared,
            java.util.List<String> initdbOptions) {
        String slug = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        slug = slug.substring(0, Math.min(slug.length(), 24));
        Path base = tempDirectory("pgvault-test-" + slug + "-");
        PgCluster cluster = null;
        try {
            if (PgBinaries.runningAsRoot()) {
                PgBinaries.handToOsUser(base);
            }
            java.util.List<String> initdb = new java.util.ArrayList<>(java.util.List.of("-D",
                    base.resolve("data").toString(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8",
                    "--locale=C"));
            initdb.addAll(initdbOptions);
            PgBinaries.run(bin, base, TIMEOUT, "initdb", initdb.toArray(String[]::new));
            cluster = new PgCluster(name, bin, base, Map.copyOf(settings), isShared);
            LIVE.add(cluster);
            cluster.start();
            return cluster;
        }
        catch (RuntimeException ex) {
            if (cluster != null) {
                cluster.destroy();
            }
            else {
                PgBinaries.deleteTree(base);
            }
            throw ex;
        }
    }

    private static Path tempDirectory(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Starts the stopped cluster again (same port unless it is taken meanwhile). */
    public synchronized void start() {
        if (running) {
            return;
        }
        IllegalStateException failure = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            if (port == 0 || attempt > 0) {
                port = Ports.free();
            }
            int logBefore = serverLog().length();
            try {
                PgBinaries.writeAsOsUser(dataDirectory.resolve("postgresql.conf"), initdbConfig + harnessConfig(),
                        "rw-------");
                PgBinaries.run(bin, baseDirectory, TIMEOUT, "pg_ctl", "-D", dataDirectory.toString(), "-w", "-t", "60",
                        "-l", logFile().toString(), "start");
                running = true;
                return;
            }
            catch (UncheckedIOException | IllegalStateException ex) {
                quietly("pg_ctl", "-D", dataDirectory.toString(), "-m", "immediate", "-w", "stop");
                String log = serverLog();
                String attemptLog = log.substring(Math.min(logBefore, log.length()));
                failure = new IllegalStateException("PostgreSQL cluster '" + name + "' did not start on port " + port
                        + " in " + dataDirectory + ": " + ex.getMessage() + "\n--- server.log ---\n" + tail(log), ex);
                if (!attemptLog.contains("could not bind") && !attemptLog.contains("Address already in use")) {
                    break;
                }
            }
        }
        throw failure;
    }

    /** Stops the server with {@code pg_ctl stop -m fast}; the data stays for {@link #start()}. */
    public synchronized void stop() {
        PgBinaries.run(bin, baseDirectory, TIMEOUT, "pg_ctl", "-D", dataDirectory.toString(), "-m", "fast", "-w", "-t",
                "60", "stop");
        running = false;
    }

    /** Stops the server immediately and deletes its directory; a no-op on {@link #shared()}. */
    @Override
    public void close() {
        if (!isShared) {
            destroy();
        }
    }

    private synchronized void destroy() {
        if (running || Files.exists(dataDirectory.resolve("postmaster.pid"))) {
            if (!quietly("pg_ctl", "-D", dataDirectory.toString(), "-m", "immediate", "-w", "-t", "30", "stop")) {
                killPostmaster();
            }
            running = false;
        }
        PgBinaries.deleteTree(baseDirectory);
        LIVE.remove(this);
    }

    /** The directory of the initdb, pg_ctl and postgres this cluster runs with. */
    public Path serverBinDirectory() {
        return bin;
    }

    /** The TCP port the server listens on (loopback only). */
    public int port() {
        return port;
    }

    /** The host to connect to: always {@code 127.0.0.1}. */
    public String host() {
        return HOST;
    }

    /** The superuser that trust authentication lets in without a password. */
    @Override
    public String superuser() {
        return "postgres";
    }

    /** The PGDATA directory. */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The temp directory holding PGDATA, server.log and the socket; owned by the server's OS user. */
    public Path baseDirectory() {
        return baseDirectory;
    }

    /** Whether the server was started and not stopped since. */
    public boolean isRunning() {
        return running;
    }

    /** A JDBC URL for database {@code db} (any name; it is URL-encoded). */
    @Override
    public String jdbcUrl(String db) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/"
                + URLEncoder.encode(db, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The server log so far (empty when there is none yet). */
    public String serverLog() {
        try {
            return Files.exists(logFile()) ? Files.readString(logFile(), StandardCharsets.UTF_8) : "";
        }
        catch (IOException ex) {
            return "(cannot read " + logFile() + ": " + ex.getMessage() + ")";
        }
    }

    /** Puts {@code lines} before the others in pg_hba.conf, so they win (used by {@link PgSql}). */
    @Override
    void prependHbaLine(String lines) {
        Path hba = dataDirectory.resolve("pg_hba.conf");
        try {
            PgBinaries.writeAsOsUser(hba, lines + "\n" + Files.readString(hba), "rw-------");
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public String toString() {
        return "PgCluster[" + name + " on " + HOST + ":" + port + ", " + dataDirectory + "]";
    }

    private String harnessConfig() {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("fsync", "off");
        all.put("full_page_writes", "off");
        all.put("max_wal_senders", "4");
        all.put("wal_level", "replica");
        all.putAll(settings);
        all.put("listen_addresses", HOST);
        all.put("port", Integer.toString(port));
        all.put("unix_socket_directories", baseDirectory.toString());
        StringBuilder conf = new StringBuilder("\n# pgvault test harness (later lines win)\n");
        all.forEach((key, value) -> conf.append(key).append(" = '")
                .append(value.replace("\\", "\\\\").replace("'", "''")).append("'\n"));
        return conf.toString();
    }

    private Path logFile() {
        return baseDirectory.resolve("server.log");
    }

    private boolean quietly(String program, String... args) {
        try {
            PgBinaries.run(bin, baseDirectory, TIMEOUT, program, args);
            return true;
        }
        catch (IllegalStateException ex) {
            return false;
        }
    }

    private void killPostmaster() {
        try {
            String pid = Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).trim();
            // only if the pid still is our postmaster, not a recycled one
            ProcessHandle.of(Long.parseLong(pid))
                    .filter(process -> process.info().commandLine().orElse("").contains(dataDirectory.toString()))
                    .ifPresent(postmaster -> {
                        postmaster.descendants().forEach(ProcessHandle::destroyForcibly);
                        postmaster.destroyForcibly();
                    });
        }
        catch (IOException | RuntimeException ex) {
            // nothing left to stop
        }
    }

    private static String tail(String text) {
        return text.length() <= 8192 ? text : "..." + text.substring(text.length() - 8192);
    }
}
