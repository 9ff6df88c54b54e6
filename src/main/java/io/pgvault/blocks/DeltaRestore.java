package io.pgvault.blocks;

import io.pgvault.job.Cancellation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Brings an existing data directory to a manifest's content by writing only what differs: a file of the wrong
 * size or type, or missing, is written whole; a file that is there is read block by block (in parallel, one
 * file per worker) and only blocks whose hash differs from the manifest's name are written, at their offset; a
 * longer file is cut to size; what the manifest does not have is removed (except what {@code keep} accepts,
 * such as WAL the old server never archived). Reading happens here; every write goes through a {@link Target},
 * so that a directory the PostgreSQL OS user owns is written with that user's rights.
 */
public final class DeltaRestore {

    private DeltaRestore() {
    }

    /** Where the writes go, relative paths inside the directory. */
    public interface Target {
        /** Writes {@code data} at {@code offset} into an existing file, without cutting it. */
        void write(String path, long offset, byte[] data) throws IOException, InterruptedException;

        /** Cuts a file to {@code size}. */
        void truncate(String path, long size) throws IOException, InterruptedException;

        /** Removes files and whole trees. */
        void remove(List<String> paths) throws IOException, InterruptedException;

        /** Unpacks a tar stream of whole files and directories into the directory, replacing files there. */
        void untar(InputStream tar) throws IOException, InterruptedException;
    }

    /** What the delta did, for the job log. */
    public record Report(long bytesChecked, long bytesSkipped, long bytesWritten, int filesWhole, int filesPatched,
            int removed) {

        public String describe() {
            return String.format("delta restore: %d bytes checked, %d skipped (already right), %d written; %d file(s) "
                    + "written whole, %d patched block by block, %d path(s) removed", bytesChecked, bytesSkipped,
                    bytesWritten, filesWhole, filesPatched, removed);
        }

        /** Both reports' counts added up (a data directory's and its tablespaces'). */
        public Report plus(Report other) {
            return new Report(bytesChecked + other.bytesChecked, bytesSkipped + other.bytesSkipped,
                    bytesWritten + other.bytesWritten, filesWhole + other.filesWhole, filesPatched + other.filesPatched,
                    removed + other.removed);
        }

        /** Nothing done yet. */
        public static Report none() {
            return new Report(0, 0, 0, 0, 0, 0);
        }
    }

    private record Check(BlockManifest.Entry entry, List<Integer> changed, long checked, long skipped,
            boolean longer) {
    }

    public static Report run(BlockStore store, BlockManifest manifest, Path directory,
            Predicate<BlockManifest.Entry> include, Predicate<String> keep, int workers, Target target,
            Cancellation cancellation) throws IOException, InterruptedException {
        Map<String, BasicFileAttributes> existing = walk(directory);
        List<BlockManifest.Entry> wanted = manifest.entries().stream().filter(include).toList();
        Set<String> wantedPaths = new HashSet<>();
        wanted.forEach(e -> wantedPaths.add(e.path()));
        Set<String> whole = new HashSet<>();
        List<Future<Check>> checks = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, workers));
        try {
            for (BlockManifest.Entry e : wanted) {
                BasicFileAttributes there = existing.get(e.path());
                if (e.type() == 'd') {
                    if (there == null || !there.isDirectory()) {
                        whole.add(e.path());
                    }
                } else if (e.isFile()) {
                    if (there == null || !there.isRegularFile()) {
                        whole.add(e.path());
                    } else {
                        long size = there.size();
                        checks.add(pool.submit(() -> check(directory, e, size, manifest.blockSize(), store.hasher())));
                    }
                }
            }
            List<String> gone = new ArrayList<>();
            for (Map.Entry<String, BasicFileAttributes> found : existing.entrySet()) {
                String path = found.getKey();
                if (!wantedPaths.contains(path) && !keep.test(path) && !parentGone(path, gone)) {
                    gone.add(path);
                }
            }
            // a path of the wrong type goes before the tar writes the right one
            for (String path : whole) {
                if (existing.containsKey(path)) {
                    gone.add(path);
                }
            }
            long checked = 0;
            long skipped = 0;
            long writtenBytes = 0;
            int patched = 0;
            if (!gone.isEmpty()) {
                target.remove(gone.stream().sorted().toList());
            }
            for (Future<Check> f : checks) {
                cancellation.throwIfCancelled();
                Check c = get(f);
                checked += c.checked();
                skipped += c.skipped();
                if (c.longer()) {
                    target.truncate(c.entry().path(), c.entry().size());
                }
                // a run of neighbouring blocks is one write (up to 16 blocks)
                List<Integer> changed = c.changed();
                for (int k = 0; k < changed.size(); ) {
                    int first = changed.get(k);
                    java.io.ByteArrayOutputStream run = new java.io.ByteArrayOutputStream();
                    int next = first;
                    while (k < changed.size() && changed.get(k) == next && next - first < 16) {
                        run.write(store.read(c.entry().blocks().get(next)));
                        next++;
                        k++;
                    }
                    target.write(c.entry().path(), (long) first * manifest.blockSize(), run.toByteArray());
                    writtenBytes += run.size();
                }
                if (!c.changed().isEmpty() || c.longer()) {
                    patched++;
                }
            }
            int wholeFiles = 0;
            if (!whole.isEmpty()) {
                long[] tarBytes = {0};
                try (InputStream tar = ManifestTar.open(store, manifest, e -> whole.contains(e.path()), workers,
                        n -> tarBytes[0] = n)) {
                    target.untar(tar);
                }
                writtenBytes += tarBytes[0];
                wholeFiles = (int) wanted.stream().filter(e -> e.isFile() && whole.contains(e.path())).count();
            }
            return new Report(checked, skipped, writtenBytes, wholeFiles, patched, gone.size());
        } finally {
            io.pgvault.job.DaemonThreads.stopAndWait(pool);
        }
    }

    private static boolean parentGone(String path, List<String> gone) {
        for (String g : gone) {
            if (path.startsWith(g + "/")) {
                return true;
            }
        }
        return false;
    }

    private static Check get(Future<Check> f) throws IOException, InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
        }
    }

    /** Hashes the blocks of an existing file that the manifest's file covers; names the ones that differ. */
    private static Check check(Path directory, BlockManifest.Entry e, long sizeThere, int blockSize,
            BlockStore.Hasher hasher) throws IOException {
        List<Integer> changed = new ArrayList<>();
        long checked = 0;
        long skipped = 0;
        byte[] buffer = new byte[blockSize];
        try (FileChannel channel = FileChannel.open(directory.resolve(e.path()), StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS)) {
            for (int i = 0; i < e.blocks().size(); i++) {
                long offset = (long) i * blockSize;
                int length = (int) Math.min(blockSize, e.size() - offset);
                if (offset + length > sizeThere) {
                    changed.add(i);
                    continue;
                }
                ByteBuffer into = ByteBuffer.wrap(buffer, 0, length);
                while (into.hasRemaining()) {
                    if (channel.read(into, offset + into.position()) < 0) {
                        break;
                    }
                }
                checked += length;
                if (into.position() == length && hasher.name(buffer, length).equals(BlockStore.blockName(e.blocks().get(i)))) {
                    skipped += length;
                } else {
                    changed.add(i);
                }
            }
        }
        return new Check(e, changed, checked, skipped, sizeThere > e.size());
    }

    /** Every path below the directory (relative), without following links. */
    private static Map<String, BasicFileAttributes> walk(Path directory) throws IOException {
        Map<String, BasicFileAttributes> found = new HashMap<>();
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                if (p.equals(directory)) {
                    continue;
                }
                try {
                    found.put(directory.relativize(p).toString(), Files.readAttributes(p, BasicFileAttributes.class,
                            LinkOption.NOFOLLOW_LINKS));
                } catch (NoSuchFileException gone) {
                    // removed meanwhile
                }
            }
        }
        return new java.util.TreeMap<>(found);
    }
}
