package io.pgvault.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * A backup being written: a private (0700) directory that no catalog entry points at until
 * {@link BackupStorage#commit} moves it into place.
 */
public final class StagingArea {

    private final UUID backupId;
    private final Path directory;
    private final Map<String, StoredFile> streamed = new ConcurrentHashMap<>();
    private final Uploads uploads;

    /** Opens streams that go straight to the backup's repository, with no local copy. */
    @FunctionalInterface
    public interface Uploads {
        java.io.OutputStream open(String relativePath) throws IOException;
    }

    public StagingArea(UUID backupId, Path directory) {
        this(backupId, directory, null);
    }

    /** With {@code uploads}, files made by {@link #create} go to the repository as they are written. */
    public StagingArea(UUID backupId, Path directory, Uploads uploads) {
        this.backupId = backupId;
        this.directory = directory;
        this.uploads = uploads;
    }

    /**
     * Whether {@link #create} streams to the repository: a tool that can write to its standard output should
     * then do so, instead of writing a file here that is uploaded once it is done.
     */
    public boolean streamsToRepository() {
        return uploads != null;
    }

    public UUID backupId() {
        return backupId;
    }

    /** Where a tool may write files itself (directory-format dumps); {@link #seal} hashes them. */
    public Path directory() {
        return directory;
    }

    /** A new owner-only file that is hashed and counted as it is written; {@code progress} hears the byte count. */
    public HashingOutputStream create(String relativePath, LongConsumer progress) throws IOException {
        Path file = resolve(relativePath);
        if (uploads != null) {
            return new HashingOutputStream(uploads.open(relativePath), relativePath, progress,
                    f -> streamed.put(f.path(), f));
        }
        Files.createDirectories(file.getParent(), PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_DIR));
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_FILE));
        return new HashingOutputStream(channel, relativePath, progress, f -> streamed.put(f.path(), f));
    }

    /**
     * Creates the empty, owner-only file that a tool is about to write itself ({@code pg_dump --file}): a
     * tool that opens an existing file keeps its mode, where it would create one with its umask (0644).
     */
    public Path reserve(String relativePath) throws IOException {
        Path file = resolve(relativePath);
        Files.createDirectories(file.getParent(), PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_DIR));
        return Files.createFile(file, PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_FILE));
    }

    /**
     * Starts hashing a file a tool is about to write here, as it grows; {@link FileFollower#finish} once the
     * tool has ended records it as {@link #create} would.
     */
    public FileFollower follow(String relativePath) {
        return FileFollower.start(resolve(relativePath), relativePath, f -> streamed.put(f.path(), f));
    }

    /**
     * Makes every file owner-only and durable and returns them all with size and SHA-256: those written through
     * {@link #create} as hashed on the way in, any others by reading them once.
     */
    public List<StoredFile> seal() throws IOException {
        // what a tool made with its umask (pg_dump's directory format writes 0644 files) is closed first
        FileTrees.ownerOnly(directory);
        List<StoredFile> files = new ArrayList<>();
        List<Path> directories = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                if (Files.isDirectory(p)) {
                    directories.add(p);
                    continue;
                }
                String relative = directory.relativize(p).toString();
                StoredFile known = streamed.get(relative);
                if (known == null) {
                    Fsync.file(p);
                    known = new StoredFile(relative, Files.size(p), Sha256.of(p));
                }
                files.add(known);
            }
        }
        for (Path d : directories) {
            Fsync.directory(d);
        }
        // what went straight to the repository has no file here
        java.util.Set<String> here = files.stream().map(StoredFile::path).collect(java.util.stream.Collectors.toSet());
        streamed.values().stream().filter(f -> !here.contains(f.path())).forEach(files::add);
        files.sort(Comparator.comparing(StoredFile::path));
        return files;
    }

    private Path resolve(String relativePath) {
        Path file = directory.resolve(relativePath).normalize();
        if (!file.startsWith(directory)) {
            throw new IllegalArgumentException("path escapes the staging area: " + relativePath);
        }
        return file;
    }
}
