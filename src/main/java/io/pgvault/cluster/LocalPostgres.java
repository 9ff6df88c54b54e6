package io.pgvault.cluster;

import io.pgvault.api.ConflictException;
import io.pgvault.job.Cancellation;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessResult;
import io.pgvault.process.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
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
 * when pgvault is root (PostgreSQL refuses to run as root).
 */
@Component
public class LocalPostgres {

    private static final Duration PG_CTL_TIMEOUT = Duration.ofMinutes(5);
    /** The PATH servers started here get, after their own binaries. */
    private static final String SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

    private final PostgresTools tools;
    private final ProcessExecutor executor;
    private final ServerUser user;

    LocalPostgres(PostgresTools tools, ProcessExecutor executor, ServerUser user) {
        this.tools = tools;
        this.executor = executor;
        this.user = user;
    }

    /** The server binaries for a data directory, by its PG_VERSION; an error says what to install. */
    public PostgresTools.ToolSet binariesFor(Path dataDirectory) throws IOException {
        // a small file of the server user's, read without following a link it may have planted
        byte[] version;
        try (var in = Files.newInputStream(dataDirectory.resolve("PG_VERSION"), LinkOption.NOFOLLOW_LINKS)) {
            version = in.readNBytes(16);
        }
        String text = new String(version, StandardCharsets.US_ASCII).trim();
        if (!text.matches("^[0-9]{1,3}(\\.[0-9]+)?$")) {
            throw new IOException("PG_VERSION in " + dataDirectory + " does not hold a PostgreSQL version");
        }
        return serverBinaries(Integer.parseInt(text.split("\\.")[0]));
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
        executor.run(ProcessSpec.of(user.wrap(List.of(bin.path("pg_controldata"), "-D", dataDirectory.toString())))
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

    /** Whether a postmaster.pid says a server may be running in this directory. */
    public boolean mayBeRunning(Path dataDirectory) {
        return Files.exists(dataDirectory.resolve("postmaster.pid"), LinkOption.NOFOLLOW_LINKS);
    }

    /** How {@link #start} ended. */
    public enum Started {
        /** Accepting connections (or, in recovery, read-only connections). */
        READY,
        /** Still starting (a long replay) when pg_ctl stopped waiting; watch it. */
        STARTING,
        /** The server exited during start-up; its log says why. */
        EXITED
    }

    /**
     * Starts the server and waits up to {@code waitSeconds} for it to accept connections; a server that exits
     * during start-up (a bad setting, a missing file) is reported at once, not after the wait. Output goes to
     * {@code logFile}; {@code configFile}, when not null, is the configuration to read instead of the data
     * directory's own postgresql.conf (a Debian cluster's, under /etc).
     */
    public Started start(Path dataDirectory, Path logFile, int port, Path configFile, int waitSeconds,
            Cancellation cancellation) throws IOException, InterruptedException {
        String options = "-p " + port + (configFile == null ? "" : " -c config_file=" + shellQuoted(configFile.toString()));
        PostgresTools.ToolSet bin = binariesFor(dataDirectory);
        List<String> argv = List.of(bin.path("pg_ctl"), "start", "-w", "-t", Integer.toString(waitSeconds), "-D",
                dataDirectory.toString(), "-l", logFile.toString(), "-o", options);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProcessResult result = executor.run(ProcessSpec.of(user.wrap(argv)).environment(environment(bin)).stdout(out)
                .okExitCodes(0, 1).timeout(PG_CTL_TIMEOUT), cancellation);
        if (result.exitCode() == 0) {
            return Started.READY;
        }
        String said = out.toString(StandardCharsets.UTF_8) + "\n" + result.stderrTail();
        if (said.contains("could not start server")) {
            return Started.EXITED;
        }
        if (said.contains("did not start in time") || said.contains("stopped waiting")) {
            return Started.STARTING;
        }
        throw new IllegalStateException("pg_ctl start failed: " + said.strip());
    }

    /** Stops the server in {@code mode} (fast, immediate) and waits until it is down. */
    public void stop(Path dataDirectory, String mode, Cancellation cancellation) throws IOException, InterruptedException {
        pgCtl(dataDirectory, cancellation, "stop", "-w", "-t", "120", "-D", dataDirectory.toString(), "-m", mode);
    }

    /** Whether a server is running in the directory, as pg_ctl status sees it. */
    public boolean isRunning(Path dataDirectory) throws IOException, InterruptedException {
        PostgresTools.ToolSet bin = binariesFor(dataDirectory);
        List<String> argv = user.wrap(List.of(bin.path("pg_ctl"), "status", "-D", dataDirectory.toString()));
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
        executor.run(ProcessSpec.of(user.wrap(argv)).environment(environment(bin)).timeout(PG_CTL_TIMEOUT),
                cancellation);
    }

    /** pg_ctl hands -o to a shell: one single-quoted word, whatever the path holds. */
    static String shellQuoted(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }

    private static Map<String, String> environment(PostgresTools.ToolSet bin) {
        return Map.of("PATH", bin.directory() + ":" + SYSTEM_PATH, "LC_ALL", "C.UTF-8");
    }
}
