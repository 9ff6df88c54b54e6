package io.pgvault.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
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
        return exec(workDir, timeout, argv, Path.of("/dev/null"));
    }

    /** As {@link #exec(Path, Duration, List)}, with standard input read from {@code input}. */
    static String exec(Path workDir, Duration timeout, List<String> argv, Path input) {
        Path output = null;
        try {
            output = Files.createTempFile("pgvault-test-cmd", ".out");
            ProcessBuilder builder = new ProcessBuilder(argv)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(input.toFile()));
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

    /**
     * Writes {@code content} into {@code file} (replaced) with mode {@code mode}, as the server's OS user when
     * the JVM is root: the file lies in a directory that user owns, where root never writes.
     */
    static void writeAsOsUser(Path file, String content, String mode) {
        try {
            if (!runningAsRoot()) {
                Files.writeString(file, content, StandardCharsets.UTF_8);
                Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString(mode));
                return;
            }
            // root-private (0600) in the temp directory; the child reads it through the descriptor it is given
            Path source = Files.createTempFile("pgvault-test-content", ".txt");
            try {
                Files.writeString(source, content, StandardCharsets.UTF_8);
                exec(Path.of("/"), Duration.ofSeconds(30), List.of("runuser", "-u", OS_USER, "--", "dd",
                        "of=" + file, "status=none"), source);
                exec(Path.of("/"), Duration.ofSeconds(30), List.of("runuser", "-u", OS_USER, "--", "chmod",
                        chmodMode(mode), file.toString()));
            }
            finally {
                Files.deleteIfExists(source);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Deletes a directory tree; a second pass catches files a dying server wrote meanwhile. As root, what lies
     * in the server's OS user's directories is deleted with that user's rights first, and root then removes
     * only entries of directories that user cannot write.
     */
    static void deleteTree(Path root) {
        for (int pass = 0; pass < 2 && Files.exists(root, LinkOption.NOFOLLOW_LINKS); pass++) {
            if (runningAsRoot()) {
                try {
                    exec(Path.of("/"), Duration.ofMinutes(2), List.of("runuser", "-u", OS_USER, "--", "find",
                            root.toString(), "-depth", "-delete"));
                }
                catch (IllegalStateException ex) {
                    // entries in root's own directories: the walk below
                }
            }
            try (Stream<Path> paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).filter(path -> !inOsUsersDirectory(path))
                        .forEach(path -> path.toFile().delete());
            }
            catch (IOException | UncheckedIOException ex) {
                // a file vanished under the walk: the next pass sees the rest
            }
        }
    }

    private static boolean inOsUsersDirectory(Path path) {
        try {
            return runningAsRoot() && path.getParent() != null
                    && Files.getOwner(path.getParent(), LinkOption.NOFOLLOW_LINKS).getName().equals(OS_USER);
        }
        catch (IOException ex) {
            return false;
        }
    }

    /** {@code rw-------} as chmod's octal digits. */
    private static String chmodMode(String mode) {
        int bits = 0;
        for (char c : mode.toCharArray()) {
            bits = bits << 1 | (c == '-' ? 0 : 1);
        }
        return Integer.toOctalString(bits);
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
