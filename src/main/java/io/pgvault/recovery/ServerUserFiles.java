package io.pgvault.recovery;

import io.pgvault.cluster.ServerUser;
import io.pgvault.job.Cancellation;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessResult;
import io.pgvault.process.ProcessSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.springframework.stereotype.Component;

/**
 * File work inside directories the PostgreSQL OS user can write (recovered data directories, drill copies,
 * their parents under the recovery roots), done with that user's rights. A link or hard link that user
 * planted there could otherwise turn root's writes, chowns and deletes against any file on the host; as that
 * user, a planted link reaches nothing the user could not reach anyway. Each operation is one small
 * coreutils or tar process (argv only, no shell), wrapped by {@link ServerUser}.
 */
@Component
class ServerUserFiles {

    private static final Duration QUICK = Duration.ofMinutes(2);
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin", "LC_ALL", "C.UTF-8");

    private final ServerUser user;
    private final ProcessExecutor executor;

    ServerUserFiles(ServerUser user, ProcessExecutor executor) {
        this.user = user;
        this.executor = executor;
    }

    /** Creates one directory, owner-only; fails if it exists or the user may not write its parent. */
    void mkdir(Path directory) throws IOException, InterruptedException {
        run(List.of("mkdir", "-m", "0700", "--", directory.toString()));
    }

    /** The names in a directory (without . and ..). */
    List<String> list(Path directory) throws IOException, InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        run(spec(List.of("find", directory.toString(), "-mindepth", "1", "-maxdepth", "1", "-printf", "%f\\0"))
                .stdout(out));
        List<String> names = new ArrayList<>();
        for (String name : out.toString(StandardCharsets.UTF_8).split("\0")) {
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }

    /** Whether the path exists (a dangling link counts). */
    boolean exists(Path path) throws IOException, InterruptedException {
        return runFor(spec(List.of("test", "-e", path.toString(), "-o", "-L", path.toString())).okExitCodes(0, 1))
                .exitCode() == 0;
    }

    /** Writes (creates or replaces) a file, owner-only. */
    void write(Path file, byte[] content) throws IOException, InterruptedException {
        run(spec(List.of("tee", "--", file.toString())).stdin(new ByteArrayInputStream(content)));
        run(List.of("chmod", "0600", "--", file.toString()));
    }

    void write(Path file, String content) throws IOException, InterruptedException {
        write(file, content.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Lays a batch of small files and directories into {@code directory} with one process: a tar built here,
     * unpacked by tar as the user. Files are 0600, directories 0700; existing files are replaced.
     */
    void writeAll(Path directory, FileBatch batch) throws IOException, InterruptedException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String dir : batch.directories().stream().sorted().toList()) {
                TarArchiveEntry entry = new TarArchiveEntry(dir + "/");
                entry.setMode(040700);
                out.putArchiveEntry(entry);
                out.closeArchiveEntry();
            }
            for (Map.Entry<String, byte[]> f : batch.files().entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(f.getKey());
                entry.setMode(0100600);
                entry.setSize(f.getValue().length);
                out.putArchiveEntry(entry);
                out.write(f.getValue());
                out.closeArchiveEntry();
            }
        }
        run(spec(List.of("tar", "-x", "-f", "-", "-C", directory.toString(), "--no-same-owner"))
                .stdin(new ByteArrayInputStream(tar.toByteArray())));
    }

    /** The first {@code limit} bytes of a file, or null when there is no such file. */
    byte[] readIfExists(Path file, long limit) throws IOException, InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = runFor(spec(List.of("head", "-c", Long.toString(limit), "--", file.toString())).stdout(out)
                .okExitCodes(0, 1)).exitCode();
        return exit == 0 ? out.toByteArray() : null;
    }

    /** At most the first {@code limit} bytes of a file. */
    byte[] read(Path file, long limit) throws IOException, InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        run(spec(List.of("head", "-c", Long.toString(limit), "--", file.toString())).stdout(out));
        return out.toByteArray();
    }

    /** The last {@code limit} bytes of a file, or empty when there is none. */
    String tail(Path file, long limit) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            runFor(spec(List.of("tail", "-c", Long.toString(limit), "--", file.toString())).stdout(out)
                    .okExitCodes(0, 1));
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** Removes files or whole trees; links are removed, never followed; missing paths are fine. */
    void remove(Path... paths) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("rm", "-rf", "--one-file-system", "--"));
        for (Path p : paths) {
            argv.add(p.toString());
        }
        run(argv);
    }

    /** Removes everything inside a directory, keeping the directory itself (whose parent the user may not write). */
    void empty(Path directory) throws IOException, InterruptedException {
        run(List.of("find", directory.toString(), "-mindepth", "1", "-delete"));
    }

    /** Writes {@code data} into an existing file at {@code offset}, leaving the rest of it as it is. */
    void writeAt(Path file, long offset, byte[] data) throws IOException, InterruptedException {
        run(spec(List.of("dd", "of=" + file, "bs=1M", "conv=notrunc", "oflag=seek_bytes", "seek=" + offset,
                "status=none")).stdin(new ByteArrayInputStream(data)));
    }

    /** Cuts (or extends with zeros) a file to {@code size} bytes. */
    void truncate(Path file, long size) throws IOException, InterruptedException {
        run(List.of("truncate", "-s", Long.toString(size), "--", file.toString()));
    }

    /** Renames within the user's reach; {@code to} must not exist. */
    void move(Path from, Path to) throws IOException, InterruptedException {
        run(List.of("mv", "-T", "--no-clobber", "--", from.toString(), to.toString()));
    }

    void copy(Path from, Path to) throws IOException, InterruptedException {
        run(List.of("cp", "--", from.toString(), to.toString()));
    }

    /**
     * Unpacks a plain tar stream into {@code directory} as the user: tar refuses absolute and {@code ..}
     * names itself, and whatever the archive holds lands only where the user may write. Tablespace links
     * ({@code pg_tblspc/*}) are left out: each tablespace is unpacked into a directory of its own.
     */
    void untar(InputStream tar, Path directory, Cancellation cancellation) throws IOException, InterruptedException {
        // 1 MiB records read whole from the pipe: tar's default of 10 KiB takes twice as long for a large backup
        executor.run(spec(List.of("tar", "-x", "-f", "-", "-b", "2048", "-B", "-C", directory.toString(),
                "--no-same-owner", "--exclude=./pg_tblspc/*", "--exclude=pg_tblspc/*")).stdin(tar)
                .timeout(Duration.ofHours(24)), cancellation);
    }

    private void run(List<String> argv) throws IOException, InterruptedException {
        run(spec(argv));
    }

    private void run(ProcessSpec spec) throws IOException, InterruptedException {
        runFor(spec);
    }

    private ProcessResult runFor(ProcessSpec spec) throws IOException, InterruptedException {
        return executor.run(spec, Cancellation.none());
    }

    private ProcessSpec spec(List<String> argv) {
        return ProcessSpec.of(user.wrap(argv)).environment(ENV).timeout(QUICK);
    }
}
