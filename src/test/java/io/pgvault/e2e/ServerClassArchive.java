package io.pgvault.e2e;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
 */
final class ServerClassArchive {

    private static ServerClassArchive instance;

    private final Path dir;
    private final String classPath;
    private final Path archive;
    private volatile boolean ready;
    private volatile Process training;

    private ServerClassArchive(Path dir, String classPath) {
        this.dir = dir;
        this.classPath = classPath;
        this.archive = dir == null ? null : dir.resolve("pgvault.jsa");
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
        return ready ? List.of("-XX:SharedArchiveFile=" + archive) : List.of();
    }

    private static ServerClassArchive create(List<String> jvmFlags) {
        String dependencies = ServerProcess.runtimeDependencies();
        if (!Boolean.parseBoolean(System.getProperty("pgvault.test.cds", "true"))) {
            return new ServerClassArchive(null,
                    Path.of("target", "classes").toAbsolutePath() + java.io.File.pathSeparator + dependencies);
        }
        try {
            Path dir = Files.createTempDirectory("pgvault-server-classes");
            Path jar = dir.resolve("pgvault-classes.jar");
            writeJar(Path.of("target", "classes").toAbsolutePath(), jar);
            ServerClassArchive archive = new ServerClassArchive(dir, jar + java.io.File.pathSeparator + dependencies);
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

    private void train(List<String> jvmFlags, List<String> serverArgs) {
        List<String> argv = new ArrayList<>(jvmFlags);
        argv.addAll(List.of("-XX:ArchiveClassesAtExit=" + archive, "-Dspring.context.exit=onRefresh",
                "-cp", classPath, "io.pgvault.PgvaultApplication"));
        argv.addAll(serverArgs);
        try {
            ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("training.log").toFile());
            builder.environment().remove("PGVAULT_ADMIN_TOKEN");
            training = builder.start();
            if (training.waitFor(10, TimeUnit.MINUTES) && training.exitValue() == 0 && Files.size(archive) > 0) {
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
