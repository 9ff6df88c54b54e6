package io.pgvault.cluster;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.ConflictException;
import io.pgvault.job.Cancellation;
import io.pgvault.job.ProcessExecutor;
import io.pgvault.job.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.springframework.stereotype.Component;

/**
 * PostgreSQL servers pgvault runs on this host itself (recoveries, restore drills): pg_ctl of the data
 * directory's exact major version, found in any tools directory, run as {@code pgvault.postgres.os-user}
 * when pgvault is root (PostgreSQL refuses to run as root), with the data directory handed to that user.
 */
@Component
public class LocalPostgres {

    private static final Duration PG_CTL_TIMEOUT = Duration.ofMinutes(5);
    /** The PATH servers started here get, after their own binaries. */
    private static final String SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

    private final PostgresTools tools;
    private final ProcessExecutor executor;
    private final String osUser;
    private final boolean root;

    LocalPostgres(PostgresTools tools, ProcessExecutor executor, PgvaultProperties properties) {
        this.tools = tools;
        this.executor = executor;
        this.osUser = properties.postgres().osUser();
        this.root = "root".equals(System.getProperty("user.name"));
    }

    /** The server binaries for a data directory, by its PG_VERSION; an error says what to install. */
    public PostgresTools.ToolSet binariesFor(Path dataDirectory) throws IOException {
        return serverBinaries(Integer.parseInt(Files.readString(dataDirectory.resolve("PG_VERSION")).trim()));
    }

    /**
     * The server binaries of one major version, from any tools directory that holds postgres and pg_ctl of
     * it (a server-only directory counts); an error says what to install.
     */
    public PostgresTools.ToolSet serverBinaries(int major) {
        List<PostgresTools.ToolSet> servers = tools.serverBinaries();
        return servers.stream().filter(t -> t.major() == major).findFirst()
                .orElseThrow(() -> new ConflictException(ToolAdvice.serverBinaries(major, servers, tools)));
    }

    /**
     * Refuses, before anything is touched, a recovery this host cannot run: the backup's server binaries
     * and curl (the recovered server's restore_command) must be installed.
     */
    public void requireRecoveryTools(int major) {
        serverBinaries(major);
        if (Stream.of(SYSTEM_PATH.split(":")).noneMatch(d -> Files.isExecutable(Path.of(d, "curl")))) {
            throw new ConflictException("a recovered server fetches its WAL from pgvault with curl, which is not "
                    + "installed in " + SYSTEM_PATH + " (Debian: apt-get install curl)");
        }
    }

    /** pg_controldata's fields ("Latest checkpoint location" and so on) for a stopped data directory. */
    public Map<String, String> controlData(Path dataDirectory) throws IOException, InterruptedException {
        PostgresTools.ToolSet server = binariesFor(dataDirectory);
        // a server-only directory may lack pg_controldata; the client tools of the same major have it too
        PostgresTools.ToolSet bin = server.has("pg_controldata") ? server
                : tools.exactly(server.major(), "pg_controldata").orElseThrow(() -> new ConflictException(
                        "reading " + dataDirectory + " needs pg_controldata of PostgreSQL " + server.major()
                                + ", which is neither in " + server.directory() + " nor in another tools directory"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        executor.run(ProcessSpec.of(List.of(bin.path("pg_controldata"), "-D", dataDirectory.toString()))
                .environment(environment(bin)).stdout(out).timeout(PG_CTL_TIMEOUT), Cancellation.none());
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : out.toString(StandardCharsets.UTF_8).lines().toList()) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        return fields;
    }

    /**
     * An SQL expression for a recovering server's replay pause state, {@code 'paused'} once replay has paused:
     * pg_get_wal_replay_pause_state() exists from PostgreSQL 14 on; 13 only has pg_is_wal_replay_paused(),
     * which says whether a pause was asked for (a recovery target with action pause asks, then pauses).
     */
    public static String replayPauseState(Connection connection) throws SQLException {
        return connection.getMetaData().getDatabaseMajorVersion() >= 14 ? "pg_get_wal_replay_pause_state()"
                : "case when pg_is_wal_replay_paused() then 'paused' else 'not paused' end";
    }

    /** Whether a postmaster.pid says a server may be running in this directory. */
    public boolean mayBeRunning(Path dataDirectory) {
        return Files.exists(dataDirectory.resolve("postmaster.pid"));
    }

    /** Makes the server's OS user own the tree (when pgvault is root; otherwise pgvault owns it already). */
    public void handOver(Path directory) throws IOException {
        if (!root) {
            return;
        }
        UserPrincipalLookupService lookup = directory.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal user = lookup.lookupPrincipalByName(osUser);
        GroupPrincipal group = lookup.lookupPrincipalByGroupName(osUser);
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS);
                view.setOwner(user);
                view.setGroup(group);
            }
        }
    }

    /** Starts the server without waiting (the caller watches recovery itself); output goes to {@code logFile}. */
    public void start(Path dataDirectory, Path logFile, int port, Cancellation cancellation)
            throws IOException, InterruptedException {
        pgCtl(dataDirectory, cancellation, "start", "-W", "-D", dataDirectory.toString(), "-l", logFile.toString(),
                "-o", "-p " + port);
    }

    /** Stops the server in {@code mode} (fast, immediate) and waits until it is down. */
    public void stop(Path dataDirectory, String mode, Cancellation cancellation) throws IOException, InterruptedException {
        pgCtl(dataDirectory, cancellation, "stop", "-w", "-t", "120", "-D", dataDirectory.toString(), "-m", mode);
    }

    /** Whether a server is running in the directory, as pg_ctl status sees it. */
    public boolean isRunning(Path dataDirectory) throws IOException, InterruptedException {
        PostgresTools.ToolSet bin = binariesFor(dataDirectory);
        List<String> argv = asServerUser(List.of(bin.path("pg_ctl"), "status", "-D", dataDirectory.toString()));
        int exit = executor.run(ProcessSpec.of(argv).environment(environment(bin)).okExitCodes(0, 3, 4)
                .timeout(PG_CTL_TIMEOUT), Cancellation.none()).exitCode();
        return exit == 0;
    }

    private void pgCtl(Path dataDirectory, Cancellation cancellation, String... args)
            throws IOException, InterruptedException {
        PostgresTools.ToolSet bin = binariesFor(dataDirectory);
        List<String> argv = new ArrayList<>();
        argv.add(bin.path("pg_ctl"));
        argv.addAll(List.of(args));
        executor.run(ProcessSpec.of(asServerUser(argv)).environment(environment(bin)).timeout(PG_CTL_TIMEOUT),
                cancellation);
    }

    private List<String> asServerUser(List<String> argv) {
        if (!root) {
            return argv;
        }
        String runuser = Files.isExecutable(Path.of("/usr/sbin/runuser")) ? "/usr/sbin/runuser" : "/sbin/runuser";
        List<String> wrapped = new ArrayList<>(List.of(runuser, "-u", osUser, "--"));
        wrapped.addAll(argv);
        return wrapped;
    }

    private static Map<String, String> environment(PostgresTools.ToolSet bin) {
        return Map.of("PATH", bin.directory() + ":" + SYSTEM_PATH, "LC_ALL", "C.UTF-8");
    }
}
