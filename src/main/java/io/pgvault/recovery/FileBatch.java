package io.pgvault.recovery;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Files and directories to lay into a data directory in one go (configuration, recovery settings, the WAL
 * credential): {@link ServerUserFiles#writeAll} unpacks them as one small tar, as the PostgreSQL OS user,
 * instead of a process per file. Paths are relative to the data directory; files are owner-only.
 */
final class FileBatch {

    private final Path root;
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final Set<String> directories = new LinkedHashSet<>();

    FileBatch(Path root) {
        this.root = root;
    }

    /** Adds (or replaces) a file at a path inside the data directory; its missing parents come along. */
    void file(Path path, byte[] content) {
        String relative = relative(path);
        for (Path parent = Path.of(relative).getParent(); parent != null; parent = parent.getParent()) {
            directories.add(parent.toString());
        }
        files.put(relative, content);
    }

    void file(Path path, String content) {
        file(path, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Adds a directory (and its missing parents) inside the data directory. */
    void directory(Path path) {
        for (Path p = Path.of(relative(path)); p != null; p = p.getParent()) {
            directories.add(p.toString());
        }
    }

    Map<String, byte[]> files() {
        return files;
    }

    Set<String> directories() {
        return directories;
    }

    private String relative(Path path) {
        Path normalized = path.normalize();
        if (!normalized.startsWith(root) || normalized.equals(root)) {
            throw new IllegalArgumentException(path + " is not inside " + root);
        }
        return root.relativize(normalized).toString();
    }
}
