package io.pgvault.testing;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints the slowest test classes of a run as a Markdown table, so that whoever reads a build's output sees where
 * the suite's time goes.
 *
 * <p>Registered through {@code META-INF/services}, so every JUnit Platform launcher of the build (Surefire's, an
 * IDE's) uses it. A class's time runs from its first start to its last end, so it includes its {@code @BeforeAll}
 * clusters and the Spring context it is the first to need (the next classes sharing that context start faster:
 * the table says what a class costs in this run, not alone). Surefire sends the tests' standard output to files
 * ({@code redirectTestOutputToFile}), so the table also goes to the process's own standard error before the
 * redirection took it, which Surefire prints in the build's log; and to {@code target/slowest-test-classes.md}.
 */
public final class SlowestClassesReport implements TestExecutionListener {

    /** How many classes the table lists. */
    static final int ROWS = 15;
    private static final int EXIT_WATCH_SECONDS = 12;

    private final Map<String, Long> started = new ConcurrentHashMap<>();
    private final Map<String, Long> nanos = new ConcurrentHashMap<>();
    private final Map<String, Integer> tests = new ConcurrentHashMap<>();

    @Override
    public void executionStarted(TestIdentifier id) {
        className(id).ifPresent(c -> started.putIfAbsent(c, System.nanoTime()));
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        className(id).ifPresent(c -> {
            Long from = started.remove(c);
            if (from != null) {
                nanos.merge(c, System.nanoTime() - from, Long::sum);
            }
        });
        if (id.isTest()) {
            id.getSource().flatMap(SlowestClassesReport::owner).ifPresent(c -> tests.merge(c, 1, Integer::sum));
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        watchTheExit();
        if (nanos.isEmpty()) {
            return;
        }
        String table = table(nanos, tests, ROWS);
        PrintStream console = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
                StandardCharsets.UTF_8);
        console.print(table);
        console.flush();
        Path file = Path.of(System.getProperty("pgvault.slowest-report", "target/slowest-test-classes.md"));
        try {
            if (file.getParent() != null && Files.isDirectory(file.getParent())) {
                Files.writeString(file, table);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        nanos.clear();
        tests.clear();
    }

    /**
     * Surefire kills a fork whose JVM has not ended 30 s after {@code System.exit}, and a slow exit (shutdown hooks:
     * Spring contexts closing, clusters stopped) costs every run that much. A daemon thread, which does not hold up
     * the exit, prints where the threads are if the exit still runs after {@value #EXIT_WATCH_SECONDS} s.
     */
    private static void watchTheExit() {
        Thread watcher = new Thread(() -> {
            try {
                Thread.sleep(EXIT_WATCH_SECONDS * 1000L);
            } catch (InterruptedException e) {
                return;
            }
            PrintStream err = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
                    StandardCharsets.UTF_8);
            err.println("[slow exit] the test JVM still runs " + EXIT_WATCH_SECONDS + " s after its last test:");
            Thread.getAllStackTraces().forEach((t, stack) -> {
                if (t != Thread.currentThread() && stack.length > 0) {
                    err.println("[slow exit] \"" + t.getName() + "\"" + (t.isDaemon() ? " daemon" : "") + " "
                            + t.getState());
                    for (int i = 0; i < Math.min(stack.length, 25); i++) {
                        err.println("[slow exit]     at " + stack[i]);
                    }
                }
            });
        }, "slow-exit-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** The Markdown table of the {@code rows} slowest classes, with the run's total. */
    static String table(Map<String, Long> nanos, Map<String, Integer> tests, int rows) {
        List<Map.Entry<String, Long>> slowest = nanos.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                        .thenComparing(Map.Entry.comparingByKey()))
                .limit(rows).toList();
        long total = nanos.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder out = new StringBuilder();
        out.append("\n### The ").append(slowest.size()).append(" slowest test classes of ").append(nanos.size())
                .append(" (").append(seconds(total)).append(" s in all)\n\n")
                .append("| # | Class | Tests | Seconds | Share |\n|---:|---|---:|---:|---:|\n");
        int rank = 1;
        for (Map.Entry<String, Long> e : slowest) {
            out.append("| ").append(rank++).append(" | ").append(e.getKey().substring(e.getKey().lastIndexOf('.') + 1))
                    .append(" | ").append(tests.getOrDefault(e.getKey(), 0)).append(" | ").append(seconds(e.getValue()))
                    .append(" | ").append(total == 0 ? 0 : Math.round(100.0 * e.getValue() / total)).append(" % |\n");
        }
        return out.append('\n').toString();
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e9);
    }

    private static java.util.Optional<String> className(TestIdentifier id) {
        return id.getSource().filter(ClassSource.class::isInstance).map(s -> ((ClassSource) s).getClassName());
    }

    private static java.util.Optional<String> owner(org.junit.platform.engine.TestSource source) {
        if (source instanceof org.junit.platform.engine.support.descriptor.MethodSource m) {
            return java.util.Optional.of(m.getClassName());
        }
        return java.util.Optional.empty();
    }
}
