package io.pgvault.recovery;

import io.pgvault.cluster.ServerUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.function.Consumer;
import org.springframework.stereotype.Component;

/**
 * A recovery's hold on its data directory: claiming a new or empty one (with a lock no other recovery can
 * take too), moving a replaced one aside and back, and undoing exactly what the recovery wrote. Work inside a
 * directory the PostgreSQL OS user can write is done as that user ({@link ServerUserFiles}); pgvault uses its
 * own rights only in directories that it alone may write (its own drill directory, a root-owned parent such
 * as Debian's /var/lib/postgresql/15), where nobody else can swap a component under it.
 */
@Component
class DataDirectories {

    static final String LOCK_NAME = ".pgvault-recovery-in-progress";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

    private final ServerUserFiles files;
    private final ServerUser user;
    private final Clock clock;

    DataDirectories(ServerUserFiles files, ServerUser user, Clock clock) {
        this.files = files;
        this.user = user;
        this.clock = clock;
    }

    /** Who made the claimed directory, which decides how it is removed again. */
    enum Maker { NOBODY, SERVER_USER, PGVAULT }

    /** This job's hold on an empty data directory. */
    record Claim(Path directory, Path lock, Maker maker) {
    }

    /**
     * Takes {@code directory} below {@code root}: creates it and any missing parents (owner-only), or finds it
     * empty, then creates the lock in it. From then on everything in it is this job's to remove; files found
     * there before are never touched. The path is checked again here (links below the root are refused), as
     * time passed since the request.
     */
    Claim claim(Path root, Path directory) throws IOException, InterruptedException {
        String problem = RecoveryRoots.linkBelow(root, directory);
        if (problem != null) {
            throw new IllegalStateException(problem + "; nothing was written");
        }
        Maker maker = Maker.NOBODY;
        Path current = root;
        for (Path name : root.relativize(directory)) {
            Path parent = current;
            current = current.resolve(name);
            if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
                maker = create(parent, current);
            }
        }
        Path lock = directory.resolve(LOCK_NAME);
        try {
            files.mkdir(lock);
        } catch (IOException e) {
            throw new IllegalStateException("cannot claim " + directory + " (another recovery may be writing into it, "
                    + "or the PostgreSQL OS user '" + user.name() + "' may not write there): " + e.getMessage(), e);
        }
        List<String> names = files.list(directory);
        if (!names.equals(List.of(LOCK_NAME))) {
            files.remove(lock);
            throw new IllegalStateException("data directory " + directory + " is no longer empty; nothing in it was "
                    + "touched");
        }
        return new Claim(directory, lock, maker);
    }

    /** Ends the claim once the directory is ready: the lock goes. */
    void release(Claim claim) throws IOException, InterruptedException {
        files.remove(claim.lock());
    }

    /** Removes what the recovery wrote into the directory it claimed, and the directory if it made it. */
    void undo(Claim claim, Consumer<String> log) {
        try {
            switch (claim.maker()) {
                case SERVER_USER -> files.remove(claim.directory());
                case PGVAULT -> {
                    files.empty(claim.directory());
                    Files.delete(claim.directory());
                }
                case NOBODY -> files.empty(claim.directory());
            }
        } catch (IOException e) {
            log.accept("pgvault: could not remove the partial recovery in " + claim.directory() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Removes a directory of pgvault's own below {@code root} (a throwaway copy that a dead job left), with the
     * rights it was made with: emptied as the PostgreSQL OS user, then removed by whoever may write its parent.
     */
    void removeIfExists(Path root, Path directory, Consumer<String> log) throws IOException, InterruptedException {
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        String problem = RecoveryRoots.linkBelow(root, directory);
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
        files.empty(directory);
        if (user.pgvaultOwnsAlone(directory.getParent())) {
            Files.delete(directory);
        } else {
            files.remove(directory);
        }
        log.accept("pgvault: removed " + directory);
    }

    /** Renames the directory next to itself, where it stays until the operator removes it; returns the new name. */
    Path moveAside(Path directory, String why) throws IOException, InterruptedException {
        Path aside = directory.resolveSibling(directory.getFileName() + why
                + STAMP.format(clock.instant().atOffset(ZoneOffset.UTC)));
        rename(directory, aside);
        return aside;
    }

    /** Renames within one parent directory, with pgvault's rights only where nobody else may write it. */
    void rename(Path from, Path to) throws IOException, InterruptedException {
        if (Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(to + " already exists");
        }
        if (user.pgvaultOwnsAlone(from.getParent())) {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } else {
            files.move(from, to);
        }
    }

    private Maker create(Path parent, Path directory) throws IOException, InterruptedException {
        if (user.pgvaultIsRoot() && user.pgvaultOwnsAlone(parent)) {
            // nobody else can change the parent: pgvault makes the directory and hands it over empty
            Files.createDirectory(directory,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            user.handOver(directory);
            return Maker.PGVAULT;
        }
        try {
            files.mkdir(directory);
        } catch (IOException e) {
            throw new IllegalStateException("the PostgreSQL OS user '" + user.name() + "' cannot create " + directory
                    + " (" + e.getMessage() + "); give it a directory it may write below the recovery root", e);
        }
        return Maker.SERVER_USER;
    }
}
