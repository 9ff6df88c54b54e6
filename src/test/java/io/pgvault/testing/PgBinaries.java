package io.pgvault.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the local PostgreSQL binaries (and, for other majors, the build's: {@link PgServerBinaries}) and runs
 * them, as the {@code postgres} OS user when the JVM runs as root.
 */
final class PgBinaries {

    static final String OS_USER = "postgres";

    private static volatile Path binDirectory;

    private PgBinaries() {
    }

    /** The highest-version {@code /usr/lib/postgresql/N/bin} with pg_ctl, else {@code pg_config --bindir}, else PATH. */
    static Path binDirectory() {
        Path found = binDirectory;
        if (found == null) {
            found = locate();
            binDirectory = found;
        }
        return found;
    }

    /**
     * The server binaries (initdb, pg_ctl, postgres) of one major: the build's where it provides that major (13
     * and 16, whatever this machine has installed, so that tests of other majors see the same set-up
     * everywhere), otherwise this machine's {@code /usr/lib/postgresql/<major>/bin}.
     */
    static Path serverBinDirectory(int major) {
        if (PgServerBinaries.provides(major)) {
            return PgServerBinaries.bin(major);
        }
        Path local = Path.of("/usr/lib/postgresql", Integer.toString(major), "bin");
        if (Files.isExecutable(local.resolve("pg_ctl")) && Files.isExecutable(local.resolve("postgres"))) {
            return local;
        }
        if (major == majorOf(binDirectory())) {
            return binDirectory();
        }
        throw new IllegalStateException("no PostgreSQL " + major + " server binaries: neither the build (pom.xml, "
                + "postgres-binaries) nor /usr/lib/postgresql/" + major + "/bin has them");
    }

    /** The major version of the binaries in {@code bin}, from {@code pg_ctl --version}. */
    static int majorOf(Path bin) {
        String version = exec(Path.of("/"), Duration.ofSeconds(20),
                List.of(bin.resolve("pg_ctl").toString(), "--version"));
        Matcher m = Pattern.compile("\\(PostgreSQL\\) (\\d+)").matcher(version);
        if (!m.find()) {
            throw new IllegalStateException("cannot read a version from " + version);
        }
        return Integer.parseInt(m.group(1));
    }

    static boolean runningAsRoot() {
        try {
            // the owner of /proc/self is our effective uid
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        }
        catch (IOException | UnsupportedOperationException ex) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** Runs a PostgreSQL program from {@link #binDirectory()}; fails with its output when it exits non-zero. */
    static String run(Path workDir, Duration timeout, String program, String... args) {
        return run(binDirectory(), workDir, timeout, program, args);
    }

    /** Runs a PostgreSQL program from {@code bin}; fails with its output when it exits non-zero. */
    static String run(Path bin, Path workDir, Duration timeout, String program, String... args) {
        List<String> argv = new ArrayList<>();
        if (runningAsRoot()) {
            // PostgreSQL refuses to run as root.
            argv.addAll(List.of("runuser", "-u", OS_USER, "--"));
        }
        argv.add(bin.resolve(program).toString());
        argv.addAll(Arrays.asList(args));
        return exec(workDir, timeout, argv);
    }

    /** Runs an argv list with a clean PG* environment, output merged; fails when it exits non-zero. */
    static String exec(Path workDir, Duration timeout, List<String> argv) {
        Path output = null;
        try {
            output = Files.createTempFile("pgvault-test-cmd", ".out");
            ProcessBuilder builder = new ProcessBuilder(argv)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(name -> name.startsWith("PG"));
            env.put("LC_ALL", "C");
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new IllegalStateException("timed out after " + timeout + ": " + argv
                        + "\n" + Files.readString(output, StandardCharsets.UTF_8));
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException("exit " + process.exitValue() + ": " + argv + "\n" + text);
            }
            return text;
        }
        catch (IOException ex) {
            throw new IllegalStateException("could not run " + argv, ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + argv, ex);
        }
        finally {
            if (output != null) {
                output.toFile().delete();
            }
        }
    }

    /** Makes {@code base} the OS user's and its parent traversable, so the server may live there. */
    static void handToOsUser(Path base) {
        Path parent = base.getParent();
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(parent);
            if (perms.add(PosixFilePermission.OTHERS_EXECUTE)) {
                Files.setPosixFilePermissions(parent, perms);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        String owner = OS_USER + ":" + OS_USER;
        exec(parent, Duration.ofSeconds(30), List.of("chown", "-R", owner, base.toString()));
    }

    /** Deletes a directory tree; a second pass catches files a dying server wrote meanwhile. */
    static void deleteTree(Path root) {
        for (int pass = 0; pass < 2 && Files.exists(root); pass++) {
            try (Stream<Path> paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
            catch (IOException | UncheckedIOException ex) {
                // a file vanished under the walk: the next pass sees the rest
            }
        }
    }

    private static Path locate() {
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                var best = versions.map(version -> version.resolve("bin"))
                        .filter(bin -> Files.isExecutable(bin.resolve("pg_ctl")))
                        .max(Comparator.comparing(bin -> versionKey(bin.getParent().getFileName().toString())));
                if (best.isPresent()) {
                    return best.get();
                }
            }
            catch (IOException ex) {
                // fall through to the other lookups
            }
        }
        try {
            String bindir = exec(Path.of("/"), Duration.ofSeconds(10), List.of("pg_config", "--bindir")).trim();
            if (Files.isExecutable(Path.of(bindir, "pg_ctl"))) {
                return Path.of(bindir);
            }
        }
        catch (IllegalStateException ex) {
            // no pg_config: try PATH
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "pg_ctl"))) {
                return Path.of(dir);
            }
        }
        throw new IllegalStateException("no PostgreSQL binaries (pg_ctl) in /usr/lib/postgresql/*/bin, "
                + "pg_config --bindir or PATH: install the 'postgresql' package (see .ci/run)");
    }

    private static double versionKey(String name) {
        try {
            return Double.parseDouble(name);
        }
        catch (NumberFormatException ex) {
            return -1;
        }
    }
}
