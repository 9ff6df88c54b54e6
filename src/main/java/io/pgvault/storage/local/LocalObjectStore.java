package io.pgvault.storage.local;

import io.pgvault.storage.FileTrees;
import io.pgvault.storage.Fsync;
import io.pgvault.storage.ObjectKeys;
import io.pgvault.storage.ObjectStore;
import io.pgvault.storage.HashingOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Objects as files below a root directory, one file per key. A put writes a temporary file next to its
 * target ({@code .<name>.<random>.part}), fsyncs it, renames it into place and fsyncs the directory, so a
 * key names either nothing or every byte. Keys cannot leave the root ({@link ObjectKeys}).
 *
 * <p>{@link #createNameSyncedLater} fsyncs the file before linking it but leaves the directory's fsync to the next
 * put, create or delete of any local store ({@link DirectorySyncs}): a block store writing thousands of small blocks
 * then pays one directory fsync per directory at its manifest's put, instead of one per block.
 */
public final class LocalObjectStore implements ObjectStore {

    private static final String PART = ".part";

    private final Path root;
    private final DirectorySyncs syncs;

    public LocalObjectStore(Path root) {
        this(root, DirectorySyncs.PROCESS);
    }

    /** With its own record of unsynced names (tests, where the process's is shared with other stores). */
    LocalObjectStore(Path root, DirectorySyncs syncs) {
        this.root = realPath(root.toAbsolutePath().normalize());
        this.syncs = syncs;
    }

    /**
     * The root without links: listings walk the tree without following links, and a root that is one (a mounted
     * volume linked in) would list as empty, while each key still resolves through it.
     */
    private static Path realPath(Path root) {
        try {
            return Files.exists(root) ? root.toRealPath() : root;
        } catch (IOException unreadable) {
            return root;
        }
    }

    @Override
    public StoredObject put(String key, InputStream content) throws IOException {
        return write(key, content, Mode.REPLACE).orElseThrow();
    }

    /** A hard link to the written file fails atomically when the name exists: the first complete create wins. */
    @Override
    public Optional<StoredObject> create(String key, InputStream content) throws IOException {
        return write(key, content, Mode.CREATE);
    }

    @Override
    public Optional<StoredObject> createNameSyncedLater(String key, InputStream content) throws IOException {
        return write(key, content, Mode.CREATE_NAME_SYNCED_LATER);
    }

    private enum Mode { REPLACE, CREATE, CREATE_NAME_SYNCED_LATER }

    /**
     * Makes every name {@link #createNameSyncedLater} left unsynced durable, for whoever commits something that may
     * refer to them without a put of a local store (the workspace repository's commit moves a directory): the
     * number of directories fsynced.
     */
    public static int syncPendingNames() throws IOException {
        return DirectorySyncs.PROCESS.sync();
    }

    @Override
    public boolean createsExclusively() {
        return true;
    }

    private Optional<StoredObject> write(String key, InputStream content, Mode mode) throws IOException {
        Path target = path(key);
        if (mode != Mode.CREATE_NAME_SYNCED_LATER) {
            // what this object may refer to is durable before it is
            syncs.sync();
        }
        directoriesFor(target);
        Path part = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + PART);
        HashingOutputStream out;
        try {
            // backups hold every database's data: owner-only, like everything in a local repository
            out = new HashingOutputStream(FileChannel.open(part, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    FileTrees.OWNER_ONLY_FILE)), key, n -> { }, f -> { });
            try (HashingOutputStream written = out) {
                content.transferTo(written);
            }
            if (mode == Mode.REPLACE) {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                boolean created;
                try {
                    created = mode == Mode.CREATE ? link(target, part)
                            : syncs.noting(target.getParent(), () -> link(target, part));
                } finally {
                    Files.deleteIfExists(part);
                }
                if (!created) {
                    return Optional.empty();
                }
            }
            if (mode != Mode.CREATE_NAME_SYNCED_LATER) {
                Fsync.directory(target.getParent());
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(part);
            throw e;
        }
        return Optional.of(new StoredObject(key, out.size(), out.sha256()));
    }

    /** Creates the directories above {@code target} that are missing, each entry fsynced in its parent. */
    private void directoriesFor(Path target) throws IOException {
        Path dir = target.getParent();
        if (Files.isDirectory(dir)) {
            return;
        }
        java.util.ArrayDeque<Path> missing = new java.util.ArrayDeque<>();
        for (Path d = dir; d != null && !Files.isDirectory(d); d = d.getParent()) {
            missing.push(d);
        }
        for (Path d : missing) {
            try {
                Files.createDirectory(d, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        FileTrees.OWNER_ONLY_DIR));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another writer made it at the same moment
            }
            Fsync.directory(d.getParent());
        }
    }

    private static boolean link(Path target, Path part) throws IOException {
        try {
            Files.createLink(target, part);
            return true;
        } catch (java.nio.file.FileAlreadyExistsException taken) {
            return false;
        }
    }

    @Override
    public InputStream get(String key) throws IOException {
        Path file = path(key);
        try {
            return Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(key, null, "no object with this key in " + describe());
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        Path file = path(key);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(new ObjectInfo(key, Files.size(file)));
    }

    @Override
    public Optional<ObjectInfo> statToReference(String key) throws IOException {
        Path file = path(key);
        return syncs.noting(file.getParent(), () -> stat(key));
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        ObjectKeys.checkPrefix(prefix);
        // only the directory the prefix points into is walked, not the whole repository
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        return regularFiles(start).stream().filter(f -> !isPart(f)).map(f -> root.relativize(f).toString())
                .filter(k -> k.startsWith(prefix)).sorted().toList();
    }

    @Override
    public List<String> listLevel(String prefix) throws IOException {
        ObjectKeys.checkLevel(prefix);
        Path directory = prefix.isEmpty() ? root : root.resolve(prefix.substring(0, prefix.length() - 1));
        if (!Files.isDirectory(directory, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        List<String> level = new ArrayList<>();
        try (java.util.stream.Stream<Path> entries = Files.list(directory)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = prefix + entry.getFileName();
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(entry, BasicFileAttributes.class,
                            java.nio.file.LinkOption.NOFOLLOW_LINKS);
                } catch (java.nio.file.NoSuchFileException gone) {
                    // deleted while listed
                    continue;
                }
                if (attributes.isDirectory()) {
                    level.add(name + "/");
                } else if (attributes.isRegularFile() && !isPart(entry)) {
                    level.add(name);
                }
            }
        } catch (java.nio.file.NoSuchFileException gone) {
            return List.of();
        }
        level.sort(null);
        return level;
    }

    /**
     * The regular files below {@code start}. What is deleted while the walk runs (an object, a backup, a drill's
     * scratch directory in the workspace) is left out instead of failing the walk: a store is listed while others
     * write and delete in it.
     */
    private static List<Path> regularFiles(Path start) throws IOException {
        List<Path> found = new ArrayList<>();
        Files.walkFileTree(start, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                if (attributes.isRegularFile()) {
                    found.add(file);
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public java.nio.file.FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
        return found;
    }

    @Override
    public List<String> listWrittenBefore(String prefix, Instant before) throws IOException {
        List<String> old = new ArrayList<>();
        for (String key : list(prefix)) {
            try {
                if (Files.getLastModifiedTime(path(key)).toInstant().isBefore(before)) {
                    old.add(key);
                }
            } catch (NoSuchFileException gone) {
                // deleted meanwhile
            }
        }
        return old;
    }

    @Override
    public void delete(String key) throws IOException {
        Path file = path(key);
        syncs.sync();
        if (Files.deleteIfExists(file)) {
            Fsync.directory(file.getParent());
        }
    }

    @Override
    public int sweepIncomplete(long olderThanSeconds) throws IOException {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        Instant before = Instant.now().minusSeconds(olderThanSeconds);
        int removed = 0;
        for (Path part : regularFiles(root).stream().filter(LocalObjectStore::isPart).toList()) {
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(part, BasicFileAttributes.class);
            } catch (NoSuchFileException gone) {
                continue;
            }
            if (attributes.lastModifiedTime().toInstant().isBefore(before) && Files.deleteIfExists(part)) {
                removed++;
            }
        }
        return removed;
    }

    @Override
    public String describe() {
        return "local directory " + root;
    }

    private Path path(String key) {
        Path file = root.resolve(ObjectKeys.check(key)).normalize();
        if (!file.startsWith(root) || isPart(file)) {
            throw new IllegalArgumentException("object key '" + key + "' is not a place in " + describe());
        }
        return file;
    }

    private static boolean isPart(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith(".") && name.endsWith(PART);
    }
}
