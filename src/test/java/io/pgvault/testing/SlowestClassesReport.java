package io.pgvault.testing;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
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
 * the table says what a class costs in this run, not alone).
 *
 * <p>The build runs the classes in two Surefire forks (pom.xml), and a fork that is handed its classes one by one
 * runs one test plan per class: so each JVM sums its classes over all its plans, writes them after every plan to
 * a file of its own ({@code target/slowest-test-classes-forks/<run>-fork<pid>.tsv}, the run named by the
 * build's {@code pgvault.test-run}), and the last fork of the run to exit merges them all. That one prints the table to
 * the process's own standard error (Surefire sends the tests' standard output to files,
 * {@code redirectTestOutputToFile}, but prints a fork's standard error in the build's log) and writes it to
 * {@code target/slowest-test-classes.md}.
 */
public final class SlowestClassesReport implements TestExecutionListener {

    /** How many classes the table lists. */
    static final int ROWS = 15;
    private static final int EXIT_WATCH_SECONDS = 12;

    private final Map<String, Long> started = new ConcurrentHashMap<>();
    private final Map<String, Long> nanos = new ConcurrentHashMap<>();
    private final Map<String, Integer> tests = new ConcurrentHashMap<>();
    private final Path report = Path.of(System.getProperty("pgvault.slowest-report", "target/slowest-test-classes.md"));
    /** This JVM in the file names; the table numbers the forks 1, 2 in the order of these names. */
    private final String fork = Long.toString(ProcessHandle.current().pid());
    private final Path forks = report.resolveSibling("slowest-test-classes-forks");
    private final String run = System.getProperty("pgvault.test-run", "pid" + ProcessHandle.current().pid())
            .replaceAll("[^A-Za-z0-9_-]", "_");
    private boolean hooked;

    @Override
    public synchronized void testPlanExecutionStarted(TestPlan plan) {
        if (!hooked && writable()) {
            hooked = true;
            write(false); // registers this fork, so that another one that ends first does not print without it
            Runtime.getRuntime().addShutdownHook(new Thread(this::atExit, "slowest-classes-report"));
        }
    }

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
    public synchronized void testPlanExecutionFinished(TestPlan plan) {
        if (hooked) {
            write(false);
        }
    }

    private boolean writable() {
        return report.getParent() == null || Files.isDirectory(report.getParent());
    }

    /** This fork's classes so far; {@code done} once its JVM exits. */
    private synchronized void write(boolean done) {
        StringBuilder out = new StringBuilder(done ? "done\n" : "running\n");
        nanos.forEach((c, n) -> out.append(c).append('\t').append(n).append('\t').append(tests.getOrDefault(c, 0))
                .append('\n'));
        try {
            Files.createDirectories(forks);
            Path file = forks.resolve(run + "-fork" + fork + ".tsv");
            Path partial = forks.resolve(run + "-fork" + fork + ".tsv.partial");
            Files.writeString(partial, out);
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // the report is a help, never a reason for a run to fail
        }
    }

    /**
     * At this JVM's exit: marks its file done and, if every fork of the run is done, merges them into the table.
     * The lock makes one of two forks that exit together the last.
     */
    private void atExit() {
        watchTheExit();
        try (FileChannel channel = FileChannel.open(forks.resolve(run + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
            write(true);
            Map<String, Long> allNanos = new HashMap<>();
            Map<String, Integer> allTests = new HashMap<>();
            Map<String, String> allForks = new HashMap<>();
            List<Path> files;
            try (Stream<Path> list = Files.list(forks)) {
                files = list.filter(f -> f.getFileName().toString().startsWith(run + "-fork")
                        && f.getFileName().toString().endsWith(".tsv")).sorted().toList();
            }
            int number = 0;
            for (Path f : files) {
                String label = Integer.toString(++number);
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                if (lines.isEmpty() || !lines.get(0).equals("done")) {
                    return; // another fork still runs: it prints the table
                }
                for (String line : lines.subList(1, lines.size())) {
                    String[] cols = line.split("\t");
                    allNanos.merge(cols[0], Long.parseLong(cols[1]), Long::sum);
                    allTests.merge(cols[0], Integer.parseInt(cols[2]), Integer::sum);
                    allForks.merge(cols[0], label, (a, b) -> a.equals(b) ? a : a + "," + b);
                }
            }
            if (allNanos.isEmpty()) {
                return;
            }
            String table = table(allNanos, allTests, allForks, files.size(), ROWS);
            PrintStream console = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
                    StandardCharsets.UTF_8);
            console.print(table);
            console.flush();
            Files.writeString(report, table);
        } catch (IOException | RuntimeException e) {
            // the report is a help, never a reason for a run to fail
        }
    }

    /**
     * Surefire kills a fork whose JVM has not ended 30 s after {@code System.exit}, and a slow exit (shutdown hooks:
     * Spring contexts closing, clusters stopped) costs every run that much. A daemon thread, started when the exit
     * begins and which does not hold it up, prints where the threads are if the exit still runs after
     * {@value #EXIT_WATCH_SECONDS} s.
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
            err.println("[slow exit] the test JVM still runs " + EXIT_WATCH_SECONDS + " s after its exit began:");
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

    /** The Markdown table of the {@code rows} slowest classes, with the run's total and the fork of each. */
    static String table(Map<String, Long> nanos, Map<String, Integer> tests, Map<String, String> forks, int forkCount,
            int rows) {
        List<Map.Entry<String, Long>> slowest = nanos.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                        .thenComparing(Map.Entry.comparingByKey()))
                .limit(rows).toList();
        long total = nanos.values().stream().mapToLong(Long::longValue).sum();
        Map<String, Long> perFork = new HashMap<>();
        nanos.forEach((c, n) -> perFork.merge(forks.getOrDefault(c, "?"), n, Long::sum));
        List<String> forkTotals = new ArrayList<>();
        perFork.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> forkTotals.add("fork " + e.getKey() + ": " + seconds(e.getValue()) + " s"));
        StringBuilder out = new StringBuilder();
        out.append("\n### The ").append(slowest.size()).append(" slowest test classes of ").append(nanos.size())
                .append(" (").append(seconds(total)).append(" s in all");
        if (forkCount > 1) {
            out.append(", in ").append(forkCount).append(" forks: ").append(String.join(", ", forkTotals));
        }
        out.append(")\n\n| # | Class | Fork | Tests | Seconds | Share |\n|---:|---|---:|---:|---:|---:|\n");
        int rank = 1;
        for (Map.Entry<String, Long> e : slowest) {
            out.append("| ").append(rank++).append(" | ").append(e.getKey().substring(e.getKey().lastIndexOf('.') + 1))
                    .append(" | ").append(forks.getOrDefault(e.getKey(), "?"))
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
