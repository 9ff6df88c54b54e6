package io.pgvault;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The suite's own rules (docs/testing.md, "Rules for tests"), read from the test sources, so that a test that breaks
 * them fails the build on every machine instead of only on the one where it happens to matter.
 *
 * <ol>
 * <li>A test touches only paths it made (its {@code @TempDir}, {@code Files.createTempDirectory}, the harness's
 * directories): a string literal that is an absolute path under a machine directory ({@code /tmp}, {@code /var},
 * {@code /etc}, {@code /home}...) is refused unless it is under an allowed prefix (the PostgreSQL binaries and
 * Debian's cluster layout, the tools in {@code /usr/bin}, {@code /proc}, {@code /dev/null}) or its line says
 * {@code // fixed-path-ok: why}, which is for values that are never read or written (a path pgvault must refuse,
 * a path inside a container).</li>
 * <li>A test asserts no duration: it never subtracts clock readings ({@code System.nanoTime()},
 * {@code currentTimeMillis()}) nor uses {@code Duration.between}. Reading the clock for a deadline
 * ({@code nanoTime() + timeout}, {@code nanoTime() < deadline}) is what a bounded wait does and stays allowed;
 * timings belong in {@code bench/}. {@link io.pgvault.testing.SlowestClassesReport} measures classes for its
 * report and asserts nothing.</li>
 * <li>A test takes a port for a server from {@code Ports.free()}, never from a {@code new ServerSocket(0)} it
 * closes again: the suite runs in two forks, and the other one could get the same port meanwhile.</li>
 * </ol>
 */
class SuiteRulesTests {

    static final Path SOURCES = Path.of("src", "test", "java");
    static final Pattern LITERAL = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
    static final Pattern MACHINE_PATH = Pattern.compile(
            "/(?:tmp|var|etc|home|root|opt|srv|mnt|media|usr|bin|sbin|lib|lib64|run|boot|dev|proc|sys)(?:/.*)?");
    static final List<String> ALLOWED_PREFIXES = List.of("/usr/lib/postgresql", "/etc/postgresql",
            "/var/lib/postgresql", "/var/run/postgresql", "/usr/bin", "/usr/sbin", "/bin", "/usr/lib/chromium",
            "/proc", "/dev/null");
    static final String MARKER = "// fixed-path-ok:";
    static final Pattern CLOCK_ARITHMETIC = Pattern.compile(
            "(nanoTime|currentTimeMillis)\\(\\)\\s*-|-\\s*System\\.(nanoTime|currentTimeMillis)\\(\\)"
            + "|Duration\\.between\\(|StopWatch");
    static final Pattern PORT_ZERO = Pattern.compile("new\\s+(?:java\\.net\\.)?ServerSocket\\(\\s*0\\s*[,)]");
    static final Path THIS = SOURCES.resolve("io/pgvault/SuiteRulesTests.java");
    static final Path REPORT = SOURCES.resolve("io/pgvault/testing/SlowestClassesReport.java");

    @Test
    void testsUseNoFixedPathOutsideTheirOwnDirectories() throws IOException {
        List<String> found = new ArrayList<>();
        for (Path source : sources()) {
            if (source.equals(THIS)) {
                continue;
            }
            List<String> lines = Files.readAllLines(source);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                for (String path : machinePaths(line)) {
                    if (!allowed(path) && !line.contains(MARKER)) {
                        found.add(source + ":" + (i + 1) + ": " + path);
                    }
                }
            }
        }
        assertThat(found).as("fixed paths outside the tests' own directories (use @TempDir or "
                + "Files.createTempDirectory; for a value that is never read or written, say why with '%s')",
                MARKER).isEmpty();
    }

    @Test
    void testsAssertNoDurations() throws IOException {
        List<String> found = new ArrayList<>();
        for (Path source : sources()) {
            if (source.equals(THIS) || source.equals(REPORT)) {
                continue;
            }
            List<String> lines = Files.readAllLines(source);
            for (int i = 0; i < lines.size(); i++) {
                if (CLOCK_ARITHMETIC.matcher(lines.get(i)).find()) {
                    found.add(source + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertThat(found).as("measured durations in tests (wait for a condition with a deadline instead, and put "
                + "timings in bench/)").isEmpty();
    }

    /**
     * Two test forks run side by side: a port the kernel gave for port 0 and that was closed again can be given to
     * the other fork before a server listens on it. {@code Ports.free()} reserves one across processes.
     */
    @Test
    void testsTakeTheirPortsFromPorts() throws IOException {
        List<String> found = new ArrayList<>();
        for (Path source : sources()) {
            if (source.equals(THIS)) {
                continue;
            }
            List<String> lines = Files.readAllLines(source);
            for (int i = 0; i < lines.size(); i++) {
                if (PORT_ZERO.matcher(lines.get(i)).find()) {
                    found.add(source + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertThat(found).as("ports taken from a closed ServerSocket(0): another fork may get them too (use "
                + "io.pgvault.testing.Ports.free(), docs/testing.md)").isEmpty();
    }

    @Test
    void theRulesCatchWhatTheyAreFor() {
        assertThat(PORT_ZERO.matcher("try (ServerSocket s = new ServerSocket(0)) {").find()).isTrue();
        assertThat(PORT_ZERO.matcher("new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())").find())
                .isTrue();
        assertThat(PORT_ZERO.matcher("new ServerSocket(port, 1, InetAddress.getByName(\"127.0.0.1\"))").find())
                .isFalse();
        assertThat(machinePaths("assertThat(Path.of(\"/tmp/x\")).doesNotExist();")).containsExactly("/tmp/x");
        assertThat(machinePaths("new File(\"/var/lib/pgvault\")")).containsExactly("/var/lib/pgvault");
        assertThat(machinePaths("api.get(\"/api/v1/clusters/\" + name + \"/backups\")")).isEmpty();
        assertThat(machinePaths("Map.of(\"dir\", \"/tmp\", \"a\\\"b\", \"/etc/x\")"))
                .containsExactly("/tmp", "/etc/x");
        assertThat(allowed("/usr/lib/postgresql/16/bin")).isTrue();
        assertThat(allowed("/etc/systemd")).isFalse();
        assertThat(CLOCK_ARITHMETIC.matcher("double s = (System.nanoTime() - t) / 1e9;").find()).isTrue();
        assertThat(CLOCK_ARITHMETIC.matcher("long deadline = System.nanoTime() + timeout.toNanos();").find())
                .isFalse();
        assertThat(CLOCK_ARITHMETIC.matcher("while (System.nanoTime() < deadline) {").find()).isFalse();
    }

    /** The string literals of a line that are absolute paths under a machine directory. */
    static List<String> machinePaths(String line) {
        List<String> paths = new ArrayList<>();
        Matcher literal = LITERAL.matcher(line);
        while (literal.find()) {
            if (MACHINE_PATH.matcher(literal.group(1)).matches()) {
                paths.add(literal.group(1));
            }
        }
        return paths;
    }

    private static boolean allowed(String path) {
        return ALLOWED_PREFIXES.stream().anyMatch(p -> path.equals(p) || path.startsWith(p + "/")
                || path.startsWith(p + ":"));
    }

    private static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            List<Path> found = files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
            assertThat(found).as("test sources under %s", SOURCES.toAbsolutePath()).hasSizeGreaterThan(50);
            return found;
        }
    }
}
