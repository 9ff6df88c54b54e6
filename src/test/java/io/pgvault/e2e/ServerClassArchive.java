package io.pgvault.e2e;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A class-data-sharing archive (the JDK's dynamic AppCDS) of the classes a pgvault server loads, made once per
 * test JVM: about 20 servers start in a run on 2 shared cores, and one that maps its classes from the archive
 * starts with about a third less CPU. A training start, in the background from the first server a run needs,
 * exits once Spring's context is refreshed ({@code spring.context.exit=onRefresh}) and writes the archive. A
 * server that starts before it is ready starts without it, exactly as before; a JVM that cannot use an archive
 * ignores it ({@code -Xshare:auto}). CDS takes classes from jars only, so target/classes goes into a jar first,
 * and every server runs from that jar (the same classes, as the packaged server has them).
 * {@code -Dpgvault.test.cds=false} turns the archive off.
 *
 * <p>The build's two test forks share one archive (the training costs about 26 CPU-seconds, which a second fork
 * would spend again): under {@code target/server-classes/<run>} (the run is the build's {@code pgvault.test-run},
 * the same for both forks), the fork that takes the directory's lock first writes the jar and trains, into a
 * partial file that becomes {@code pgvault.jsa} by an atomic rename once the training exited well; the other fork
 * uses the same jar and maps the archive once that file is there. Without a run (a test started outside Maven)
 * each JVM makes its own in a temp directory, as before.
 */
final class ServerClassArchive {

    private static ServerClassArchive instance;

    private final Path dir;
    private final String classPath;
    private final Path archive;
    private final boolean shared;
    private volatile boolean ready;
    private volatile Process training;

    private ServerClassArchive(Path dir, String classPath, boolean shared) {
        this.dir = dir;
        this.classPath = classPath;
        this.archive = dir == null ? null : dir.resolve("pgvault.jsa");
        this.shared = shared;
    }

    /** The archive of this run, its training started on the first call. */
    static synchronized ServerClassArchive get(List<String> jvmFlags) {
        if (instance == null) {
            instance = create(jvmFlags);
        }
        return instance;
    }

    /** The class path every server runs with: pgvault's classes as a jar, then its run-time dependencies. */
    String classPath() {
        return classPath;
    }

    /** The JVM flag that maps the archive, once it is ready; none before. */
    List<String> flags() {
        if (!ready && shared && archive != null && Files.isRegularFile(archive)) {
            ready = true; // trained by this fork or the other one
        }
        return ready ? List.of("-XX:SharedArchiveFile=" + archive) : List.of();
    }

    private static ServerClassArchive create(List<String> jvmFlags) {
        String dependencies = ServerProcess.runtimeDependencies();
        if (!Boolean.parseBoolean(System.getProperty("pgvault.test.cds", "true"))) {
            return new ServerClassArchive(null,
                    Path.of("target", "classes").toAbsolutePath() + java.io.File.pathSeparator + dependencies, false);
        }
        String run = System.getProperty("pgvault.test-run");
        if (run != null && !run.isBlank()) {
            return shared(run.replaceAll("[^A-Za-z0-9_-]", "_"), jvmFlags, dependencies);
        }
        try {
            Path dir = Files.createTempDirectory("pgvault-server-classes");
            Path jar = dir.resolve("pgvault-classes.jar");
            writeJar(Path.of("target", "classes").toAbsolutePath(), jar);
            ServerClassArchive archive =
                    new ServerClassArchive(dir, jar + java.io.File.pathSeparator + dependencies, false);
            Runtime.getRuntime().addShutdownHook(new Thread(archive::remove, "pgvault-server-classes-removal"));
            // a server of its own (catalog, key, storage in this directory) on a free port, that exits once started
            List<String> serverArgs = ServerProcess.serverArgs(Files.createDirectories(dir.resolve("training")), 0);
            Thread trainer = new Thread(() -> archive.train(jvmFlags, serverArgs), "pgvault-server-classes-training");
            trainer.setDaemon(true);
            trainer.start();
            return archive;
        } catch (IOException e) {
            throw new IllegalStateException("could not make the jar of target/classes", e);
        }
    }

    /** The archive of the build's forks: the first to lock the run's directory makes the jar and trains. */
    private static ServerClassArchive shared(String run, List<String> jvmFlags, String dependencies) {
        Path base = Path.of("target", "server-classes").toAbsolutePath();
        Path dir = base.resolve(run);
        Path jar = dir.resolve("pgvault-classes.jar");
        boolean trains = false;
        try {
            Files.createDirectories(base);
            try (FileChannel channel = FileChannel.open(base.resolve(run + ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
                if (!Files.isRegularFile(jar)) {
                    removeEarlierRuns(base, run);
                    Files.createDirectories(dir);
                    Path partial = dir.resolve("pgvault-classes.jar.partial");
                    writeJar(Path.of("target", "classes").toAbsolutePath(), partial);
                    Files.move(partial, jar, StandardCopyOption.ATOMIC_MOVE);
                    trains = true;
                }
            }
            ServerClassArchive archive =
                    new ServerClassArchive(dir, jar + java.io.File.pathSeparator + dependencies, true);
            if (trains) {
                Runtime.getRuntime().addShutdownHook(new Thread(archive::stopTraining, "pgvault-server-classes-stop"));
                List<String> serverArgs = ServerProcess.serverArgs(Files.createDirectories(dir.resolve("training")), 0);
                Thread trainer = new Thread(() -> archive.train(jvmFlags, serverArgs), "pgvault-server-classes-training");
                trainer.setDaemon(true);
                trainer.start();
            }
            return archive;
        } catch (IOException e) {
            throw new IllegalStateException("could not make the jar of target/classes in " + dir, e);
        }
    }

    /** What an earlier build left under target/server-classes (a build runs one at a time in a directory). */
    private static void removeEarlierRuns(Path base, String run) throws IOException {
        try (Stream<Path> entries = Files.list(base)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (!name.equals(run) && !name.equals(run + ".lock")) {
                    try (Stream<Path> all = Files.walk(p)) {
                        all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                    }
                }
            }
        }
    }

    private void stopTraining() {
        Process p = training;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    private void train(List<String> jvmFlags, List<String> serverArgs) {
        // the JVM writes the archive as it exits: under another name until it is complete, for the other fork
        Path written = shared ? dir.resolve("pgvault.jsa.partial") : archive;
        List<String> argv = new ArrayList<>(jvmFlags);
        argv.addAll(List.of("-XX:ArchiveClassesAtExit=" + written, "-Dspring.context.exit=onRefresh",
                "-cp", classPath, "io.pgvault.PgvaultApplication"));
        argv.addAll(serverArgs);
        try {
            ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("training.log").toFile());
            builder.environment().remove("PGVAULT_ADMIN_TOKEN");
            training = builder.start();
            if (training.waitFor(10, TimeUnit.MINUTES) && training.exitValue() == 0 && Files.size(written) > 0) {
                if (shared) {
                    Files.move(written, archive, StandardCopyOption.ATOMIC_MOVE);
                }
                ready = true;
            } else {
                training.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            // no archive: the servers start as before
        }
    }

    private void remove() {
        Process p = training;
        if (p != null) {
            p.destroyForcibly();
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temp directory: the system cleans it
        }
    }

    /** A jar of a class directory, with the directory entries that Spring's and Flyway's scanning need. */
    private static void writeJar(Path classes, Path jar) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out);
                Stream<Path> all = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) all.sorted()::iterator) {
                if (f.equals(classes)) {
                    continue;
                }
                String name = classes.relativize(f).toString().replace(java.io.File.separatorChar, '/');
                if (Files.isDirectory(f)) {
                    zip.putNextEntry(new JarEntry(name + "/"));
                } else {
                    zip.putNextEntry(new JarEntry(name));
                    Files.copy(f, zip);
                }
                zip.closeEntry();
            }
        }
    }
}
