package io.pgvault.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** pgvault as a separate JVM, so a test can SIGKILL it like a crashed server and start it again. */
final class ServerProcess implements AutoCloseable {

    /**
     * About 20 of these start in a run, on 2 cores shared with the test JVM and its clusters: the client compiler
     * only, the serial collector and the classes mapped from a shared archive ({@link ServerClassArchive}) start a
     * Spring Boot JVM with much less CPU, and what these servers do in a test (a few requests, streams through the
     * tools) needs no peak performance.
     */
    static final List<String> JVM = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    private final Process process;
    final int port;
    /** A name a test gives this instance (its pgvault.jobs.instance-name), for its own bookkeeping. */
    String name;
    final Path log;

    private final Path store;

    private ServerProcess(Process process, int port, Path log, Path store) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.store = store;
    }

    static ServerProcess start(Path dir, int port, String... extraArgs) throws Exception {
        return start(dir, port, java.util.Map.of(), extraArgs);
    }

    /**
     * Starts pgvault with extra environment variables; an extra {@code --key=value} replaces the default of
     * that key, a bare {@code --key} removes it.
     */
    static ServerProcess start(Path dir, int port, java.util.Map<String, String> env, String... extraArgs)
            throws Exception {
        return start(dir, port, env, List.of(), extraArgs);
    }

    /**
     * Starts pgvault with its storage ({@code dir/store}) on a tmpfs of {@code size} (like "16m") that only it
     * sees: a mount namespace of its own ({@code unshare}; as another user than root, a user namespace too).
     * The test reads that storage through {@code /proc/<pid>/root}, see {@link #storage()}.
     */
    static ServerProcess startOnSmallDisk(Path dir, int port, String size, String... extraArgs) throws Exception {
        Path store = Files.createDirectories(dir.resolve("store"));
        List<String> unshare = new ArrayList<>(List.of("unshare"));
        if (!"root".equals(System.getProperty("user.name"))) {
            unshare.addAll(List.of("--user", "--map-root-user"));
        }
        unshare.addAll(List.of("--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs -o size=" + size + ",mode=0755 pgvault-small-disk \"$0\" && exec \"$@\"",
                store.toString()));
        return start(dir, port, java.util.Map.of(), unshare, extraArgs);
    }

    /** This server's storage root as the server sees it (through its own mount namespace). */
    Path storage() {
        return Path.of("/proc", Long.toString(process.pid()), "root").resolve(
                store.toString().substring(1));
    }

    /**
     * A new, empty catalog database {@code name} on {@code pg} (dropped first if a run left it), as the
     * datasource arguments of every instance that shares it.
     */
    static List<String> sharedCatalog(io.pgvault.testing.PgCluster pg, String name) {
        if (pg.databaseExists(name)) {
            pg.dropDatabase(name);
        }
        pg.createDatabase(name);
        return List.of("--spring.datasource.url=" + pg.jdbcUrl(name), "--spring.datasource.username=" + pg.superuser());
    }

    /**
     * pgvault's run-time dependencies only (target/runtime-classpath.txt, written by the build): what the jar and
     * spring-boot:run get, so that a dependency the tests have and the server lacks fails here. pgvault's own
     * classes come first, see {@link ServerClassArchive#classPath()}.
     */
    static String runtimeDependencies() {
        Path file = Path.of("target", "runtime-classpath.txt");
        try {
            return java.nio.file.Files.readString(file).strip();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(file + " is missing: the build writes it (maven-dependency-plugin, "
                    + "generate-test-resources); run the tests through Maven", e);
        }
    }

    private static ServerProcess start(Path dir, int port, java.util.Map<String, String> env, List<String> wrapper,
            String... extraArgs) throws Exception {
        Path log = dir.resolve("server-" + System.nanoTime() + ".log");
        ServerClassArchive classes = ServerClassArchive.get(JVM);
        List<String> argv = new ArrayList<>(JVM);
        argv.addAll(classes.flags());
        argv.addAll(List.of("-cp", classes.classPath(), "io.pgvault.PgvaultApplication"));
        argv.addAll(serverArgs(dir, port));
        for (String extra : extraArgs) {
            // an extra --key=value replaces the default of the same key (Spring would join both)
            String key = extra.contains("=") ? extra.substring(0, extra.indexOf('=') + 1) : extra + "=";
            argv.removeIf(a -> a.startsWith(key));
            if (extra.contains("=")) {
                argv.add(extra);
            }
        }
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(argv);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().remove("PGVAULT_ADMIN_TOKEN");
        builder.environment().putAll(env);
        Process process = builder.start();
        ServerProcess server = new ServerProcess(process, port, log, dir.resolve("store"));
        server.awaitHealthy();
        return server;
    }

    /** The server's arguments before a test's own (which replace those of the same key). */
    static List<String> serverArgs(Path dir, int port) {
        return List.of("--server.port=" + port,
                "--spring.datasource.url=jdbc:h2:file:" + dir.resolve("catalog") + ";FILE_LOCK=FS;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE",
                "--pgvault.storage.local.root=" + dir.resolve("store"),
                "--pgvault.security.key-file=" + dir.resolve("pgvault.key"),
                "--pgvault.storage.local.min-free-bytes=0",
                // not ./data/pgpass of the working directory, which every server of both test forks would share
                "--pgvault.tools.pass-file-directory=" + dir.resolve("pgpass"),
                "--pgvault.security.admin-token=" + Api.ADMIN_TOKEN,
                "--pgvault.jobs.instance-name=restart-test",
                "--pgvault.jobs.poll-interval=200ms",
                "--pgvault.recovery.roots=" + dir.resolve("recoveries"),
                "--pgvault.recovery.drill-directory=" + dir.resolve("recoveries").resolve("drills"));
    }

    /** A port reserved for this JVM across forks and runs ({@link io.pgvault.testing.Ports}). */
    static int freePort() throws IOException {
        return io.pgvault.testing.Ports.free();
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook, no clean-up, exactly like a crash. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private void awaitHealthy() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        // generous, it bounds a hang: a loaded 2-core machine has taken over 90 s to start a second JVM, and over
        // 180 s with both test forks and four other builds on it (a load average of 27)
        long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("pgvault exited during start-up:\n" + output());
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && output().contains("Job engine started")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("pgvault did not become healthy:\n" + output());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
