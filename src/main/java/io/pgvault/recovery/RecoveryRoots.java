package io.pgvault.recovery;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.InvalidRequestException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Where recoveries, BASE restores and drills may write: below one of {@code pgvault.recovery.roots}. A path is
 * taken only if it is absolute and normalized, lies strictly below a root, and every component below the
 * root that exists is a real directory, never a link: so text like {@code /proc/self/cwd/...} or a link the
 * PostgreSQL OS user planted cannot lead pgvault anywhere else. The roots themselves are configuration,
 * trusted as they are; pgvault's own ({@code ./data/recoveries} by default) is made at start-up.
 */
@Component
class RecoveryRoots {

    private static final Logger log = LoggerFactory.getLogger(RecoveryRoots.class);

    private final List<Path> roots;
    private final Path drills;
    private final Path storage;

    RecoveryRoots(PgvaultProperties properties) {
        this.roots = properties.recovery().roots().stream().map(p -> p.toAbsolutePath().normalize()).toList();
        this.drills = properties.recovery().drillDirectory().toAbsolutePath().normalize();
        this.storage = properties.storageRoot();
        if (roots.stream().noneMatch(r -> drills.startsWith(r) && !drills.equals(r))) {
            throw new IllegalStateException("pgvault.recovery.drill-directory (" + drills + ") must lie below one of "
                    + "pgvault.recovery.roots " + roots);
        }
        for (Path root : roots) {
            if (root.getParent() == null) {
                throw new IllegalStateException("pgvault.recovery.roots may not hold /");
            }
            if (storage.startsWith(root) || root.startsWith(storage)) {
                throw new IllegalStateException("pgvault.recovery.roots entry " + root + " overlaps pgvault's storage "
                        + storage + "; recovered servers must never write there");
            }
        }
        prepareDrillDirectory();
    }

    List<Path> roots() {
        return roots;
    }

    /** Where drills make their copies: a directory of pgvault's own below a root. */
    Path drills() {
        return drills;
    }

    /**
     * Checks a requested data directory: absolute, normalized, strictly below a root, no link or non-directory
     * among its existing components below the root. Returns the path.
     */
    Path check(String value) {
        Path path = parse(value);
        Path root = roots.stream().filter(r -> path.startsWith(r) && !path.equals(r)).findFirst()
                .orElseThrow(() -> new InvalidRequestException("dataDirectory", "dataDirectory " + path + " is not "
                        + "below one of the recovery roots " + roots + " (pgvault.recovery.roots); recoveries, BASE "
                        + "restores and drills write only there, or into a registered cluster's own data directory "
                        + "with \"replaceExisting\": true"));
        String problem = linkBelow(root, path);
        if (problem != null) {
            throw new InvalidRequestException("dataDirectory", problem);
        }
        return path;
    }

    /**
     * The first reason the path cannot be used, checked again when a job starts: a component below the root
     * that is a link or not a directory (the last one may also not exist yet), or that is a data directory
     * already (a copy inside another server's directory). Null when there is none.
     */
    static String linkBelow(Path root, Path path) {
        Path current = root;
        for (Path name : root.relativize(path)) {
            current = current.resolve(name);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(current, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                return null; // from here on nothing exists: pgvault creates it
            }
            if (a.isSymbolicLink()) {
                return current + " is a symbolic link; pgvault never follows links below its recovery roots";
            }
            if (!a.isDirectory()) {
                return current + " exists and is not a directory";
            }
            if (!current.equals(path) && Files.exists(current.resolve("PG_VERSION"), LinkOption.NOFOLLOW_LINKS)) {
                return current + " is a PostgreSQL data directory; a recovery never goes inside another server's";
            }
        }
        return null;
    }

    /** The root a checked path lies below. */
    Path rootOf(Path path) {
        return roots.stream().filter(r -> path.startsWith(r) && !path.equals(r)).findFirst()
                .orElseThrow(() -> new IllegalStateException(path + " is not below a recovery root"));
    }

    static Path parse(String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory is required: where to recover to");
        }
        if (value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory may not contain control characters");
        }
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory is not a valid path");
        }
        List<String> parts = new ArrayList<>();
        path.forEach(p -> parts.add(p.toString()));
        if (!path.isAbsolute() || parts.contains(".") || parts.contains("..") || !path.toString().equals(value)) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory must be an absolute, normalized path "
                    + "(no ., .., // or trailing /)");
        }
        if (path.getParent() == null) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory may not be /");
        }
        return path;
    }

    /**
     * pgvault's own drill directory: made owner-only but traversable (0711), so that the server user reaches
     * the copies handed to it inside and nothing else.
     */
    private void prepareDrillDirectory() {
        try {
            if (!Files.isDirectory(drills, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(drills);
            }
            Files.setPosixFilePermissions(drills, PosixFilePermissions.fromString("rwx--x--x"));
            for (Path p = drills.getParent(); p != null; p = p.getParent()) {
                if (!PosixFilePermissions.toString(Files.getPosixFilePermissions(p)).endsWith("x")) {
                    log.warn("The PostgreSQL OS user cannot traverse {} (mode {}); restore drills will fail until it "
                            + "can (chmod o+x) or pgvault.recovery.drill-directory points elsewhere", p,
                            PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the drill directory " + drills, e);
        }
    }
}
