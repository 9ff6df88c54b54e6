package io.pgvault.backup.physical;

import com.github.luben.zstd.ZstdInputStream;
import io.pgvault.backup.BackupFile;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.CompressionMethod;
import io.pgvault.backup.DumpFormat;
import io.pgvault.blocks.BlockManifest;
import io.pgvault.blocks.BlockStore;
import io.pgvault.blocks.BlockStores;
import io.pgvault.blocks.ManifestTar;
import io.pgvault.job.Cancellation;
import io.pgvault.storage.BackupStorage;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;
import org.springframework.stereotype.Component;

/**
 * Unpacks a stored BASE backup into a data directory: base.tar into it, pg_wal.tar into its pg_wal, and
 * each tablespace's {@code <oid>.tar} into {@code pg_tblspc/<oid>} (a directory in place of the link, so
 * the copy never writes over the source's tablespace paths). Entries that would leave the directory,
 * links other than tablespace links, and devices are refused. A backup in the block store (format BLOCKS) is one
 * part, its manifest, read as the tar stream {@link ManifestTar} writes from its blocks, so every reader of a
 * BASE backup unpacks it the same way.
 */
@Component
public class BaseBackupArchive {

    private static final Pattern TABLESPACE = Pattern.compile("^(\\d+)\\.tar(\\..+)?$");
    private static final int BUFFER = 256 * 1024;
    /** The permissions PostgreSQL wants on a data directory. */
    public static final FileAttribute<Set<PosixFilePermission>> PRIVATE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private final BackupStorage storage;
    private final BlockStores blocks;

    BaseBackupArchive(BackupStorage storage, BlockStores blocks) {
        this.storage = storage;
        this.blocks = blocks;
    }

    /** Bytes of stored files an extraction reads (for progress totals); for BLOCKS, the bytes it restores. */
    public static long storedBytes(BackupView backup) {
        if (isBlocks(backup)) {
            return backup.dataSizeBytes() == null ? 0 : backup.dataSizeBytes();
        }
        return backup.files().stream().filter(f -> !f.path().equals("backup_manifest"))
                .mapToLong(BackupFile::sizeBytes).sum();
    }

    /** One of a backup's tar files, and where in a data directory it unpacks ("" for the directory itself). */
    public record Part(String file, String into) {
    }

    /** base.tar into the directory, pg_wal.tar into pg_wal, each tablespace's tar into pg_tblspc/OID. */
    public static List<Part> parts(BackupView backup) {
        if (backup.kind() != BackupKind.BASE) {
            throw new IllegalArgumentException("backup " + backup.id() + " is not a BASE backup");
        }
        List<Part> parts = new ArrayList<>(List.of(new Part(backup.mainFile(), "")));
        if (isBlocks(backup)) {
            return parts;
        }
        for (BackupFile file : backup.files()) {
            Matcher tablespace = TABLESPACE.matcher(file.path());
            if (file.path().startsWith("pg_wal.tar")) {
                parts.add(new Part(file.path(), "pg_wal"));
            } else if (tablespace.matches()) {
                parts.add(new Part(file.path(), "pg_tblspc/" + tablespace.group(1)));
            }
        }
        return parts;
    }

    /**
     * As {@link #parts(BackupView)}, and for a block-store backup read on its host with tablespaces, one part per
     * tablespace ({@code pg_tblspc/<oid>}, its files as the manifest lists them below that link), unpacked into a
     * directory in place of the link as a TAR backup's {@code <oid>.tar} is.
     */
    public List<Part> partsOf(BackupView backup) throws IOException {
        List<Part> parts = parts(backup);
        if (!isBlocks(backup)) {
            return parts;
        }
        List<Part> all = new ArrayList<>(parts);
        for (BlockManifest.Entry e : manifest(backup).entries()) {
            // a link, or an in-place tablespace (a directory in pg_tblspc: a cluster restored by pgvault has them)
            if ((e.type() == 'l' || e.type() == 'd') && TABLESPACE_LINK.matcher(e.path()).matches()) {
                all.add(new Part(e.path(), e.path()));
            }
        }
        return all;
    }

    private static final Pattern TABLESPACE_LINK = Pattern.compile("^pg_tblspc/\\d+$");

    /** A stored tar file, decompressed; {@code storedRead} hears how many stored bytes were read. */
    public InputStream openPlain(BackupView backup, String file, LongConsumer storedRead) throws IOException {
        return openPlain(backup, file, 1, storedRead).get(0);
    }

    /**
     * As {@link #openPlain(BackupView, String, LongConsumer)}, a BLOCKS backup's part as up to {@code ways} tar streams
     * that together hold it, of about the same byte counts, for as many tar processes writing side by side (one tar
     * writes a 3 GB data directory in twice the time two take). Each stream holds every directory, so that whichever
     * tar comes first makes it with its mode; each file and link is in one stream. A TAR backup's part is one stream.
     * {@code storedRead} may hear from several threads.
     */
    public List<InputStream> openPlain(BackupView backup, String file, int ways, LongConsumer storedRead)
            throws IOException {
        if (isBlocks(backup)) {
            BlockManifest manifest = blocksPart(backup, file);
            List<List<BlockManifest.Entry>> split = split(manifest.entries(), ways);
            List<InputStream> streams = new java.util.ArrayList<>(split.size());
            int workers = Math.max(2, BlockStores.WORKERS / split.size());
            try {
                for (List<BlockManifest.Entry> entries : split) {
                    long[] last = {0};
                    streams.add(ManifestTar.open(blocks.of(backup.repository()), new BlockManifest(manifest.version(),
                            manifest.blockSize(), manifest.keyed(), entries), e -> true, workers, n -> {
                                storedRead.accept(n - last[0]);
                                last[0] = n;
                            }));
                }
            } catch (IOException | RuntimeException e) {
                for (InputStream opened : streams) {
                    opened.close();
                }
                throw e;
            }
            return streams;
        }
        return List.of(decompress(new Counting(storage.open(backup.repository(), backup.location(), file), storedRead),
                CompressionMethod.ofFile(file)));
    }

    /** Files and links dealt to {@code ways} lists by size, largest first to the lightest; directories in every one. */
    static List<List<BlockManifest.Entry>> split(List<BlockManifest.Entry> entries, int ways) {
        List<BlockManifest.Entry> dealt = entries.stream().filter(e -> e.type() != 'd').sorted(
                java.util.Comparator.comparingLong(BlockManifest.Entry::size).reversed()).toList();
        int n = Math.max(1, Math.min(ways, dealt.size()));
        long[] load = new long[n];
        java.util.Map<BlockManifest.Entry, Integer> way = new java.util.IdentityHashMap<>();
        for (BlockManifest.Entry e : dealt) {
            int lightest = 0;
            for (int i = 1; i < n; i++) {
                if (load[i] < load[lightest]) {
                    lightest = i;
                }
            }
            way.put(e, lightest);
            load[lightest] += Math.max(1, e.size());
        }
        List<List<BlockManifest.Entry>> split = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            int mine = i;
            // the manifest's order kept: a directory before what is in it
            split.add(entries.stream().filter(e -> e.type() == 'd' || way.get(e) == mine).toList());
        }
        return split;
    }

    /** The entries a BLOCKS backup's part unpacks. */
    private BlockManifest blocksPart(BackupView backup, String file) throws IOException {
        BlockManifest manifest = manifest(backup);
        if (TABLESPACE_LINK.matcher(file).matches()) {
            // a tablespace's part: its files, named as in the tablespace's own directory
            return manifest.below(file + "/");
        }
        // tablespaces become directories in place of their links, so the map that would turn them back into links to
        // the source's own paths stays out
        return new BlockManifest(manifest.version(), manifest.blockSize(), manifest.keyed(), manifest.entries()
                .stream().filter(e -> !inTablespace(e.path()) && !e.path().equals("tablespace_map")).toList());
    }

    private static boolean inTablespace(String path) {
        int slash = path.indexOf('/', "pg_tblspc/".length());
        return path.startsWith("pg_tblspc/") && slash > 0;
    }

    /** Whether the backup is in the block store. */
    public static boolean isBlocks(BackupView backup) {
        return backup.kind() == BackupKind.BASE && backup.format() == DumpFormat.BLOCKS;
    }

    /** A block-store backup's manifest, read from its repository. */
    public BlockManifest manifest(BackupView backup) throws IOException {
        try (InputStream in = storage.open(backup.repository(), backup.location(), BlockManifest.FILE)) {
            return BlockManifest.readFrom(in);
        }
    }

    /** A block-store backup's files by path, its WAL left out: what a later backup compares its files with. */
    public java.util.Map<String, BlockManifest.Entry> filesByPath(BackupView backup) throws IOException {
        java.util.Map<String, BlockManifest.Entry> byPath = new java.util.HashMap<>();
        for (BlockManifest.Entry e : manifest(backup).entries()) {
            if (e.isFile() && !e.path().startsWith("pg_wal/")) {
                byPath.put(e.path(), e);
            }
        }
        return byPath;
    }

    /** The block store a block-store backup's blocks are in. */
    public BlockStore blockStore(BackupView backup) throws IOException {
        return blocks.of(backup.repository());
    }

    /**
     * Extracts the backup into {@code target}, a directory of pgvault's own that must exist and be empty (a
     * verification's scratch); {@code progress} hears the stored (compressed) bytes read so far.
     */
    public void extract(BackupView backup, Path target, Cancellation cancellation, LongConsumer progress)
            throws IOException {
        long[] done = {0};
        for (Part part : partsOf(backup)) {
            Path into = target;
            if (part.into().startsWith("pg_tblspc/")) {
                into = target.resolve(part.into());
                Files.deleteIfExists(into);
                Files.createDirectories(into, PRIVATE);
            } else if (!part.into().isEmpty()) {
                into = Files.createDirectories(target.resolve(part.into()));
            }
            try (InputStream plain = openPlain(backup, part.file(), n -> {
                        done[0] += n;
                        progress.accept(done[0]);
                    });
                    TarArchiveInputStream tar = new TarArchiveInputStream(plain)) {
                TarArchiveEntry entry;
                byte[] buffer = new byte[BUFFER];
                while ((entry = tar.getNextEntry()) != null) {
                    cancellation.throwIfCancelled();
                    write(tar, entry, into, buffer);
                }
            }
        }
    }

    private static void write(TarArchiveInputStream tar, TarArchiveEntry entry, Path target, byte[] buffer)
            throws IOException {
        String name = entry.getName();
        Path path = target.resolve(name).normalize();
        if (name.startsWith("/") || !path.startsWith(target)) {
            throw new IOException("refusing tar entry '" + name + "': it points outside the target directory");
        }
        if (entry.isSymbolicLink()) {
            if (!name.matches("^pg_tblspc/\\d+$")) {
                throw new IOException("refusing tar entry '" + name + "': a link outside pg_tblspc");
            }
            // the tablespace's own tar is extracted into pg_tblspc/<oid> as a directory
            return;
        }
        if (entry.isDirectory()) {
            Files.createDirectories(path);
            Files.setPosixFilePermissions(path, permissions(entry.getMode(), true));
            return;
        }
        if (!entry.isFile()) {
            throw new IOException("refusing tar entry '" + name + "': not a file, directory or tablespace link");
        }
        Files.createDirectories(path.getParent());
        try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            int n;
            while ((n = tar.read(buffer)) > 0) {
                out.write(buffer, 0, n);
            }
        }
        Files.setPosixFilePermissions(path, permissions(entry.getMode(), false));
    }

    private static Set<PosixFilePermission> permissions(int mode, boolean directory) {
        // group may read (PostgreSQL allows 0750/0640); others never get anything
        Set<PosixFilePermission> p = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        if (directory || (mode & 0100) != 0) {
            p.add(PosixFilePermission.OWNER_EXECUTE);
        }
        if ((mode & 040) != 0) {
            p.add(PosixFilePermission.GROUP_READ);
            if (directory) {
                p.add(PosixFilePermission.GROUP_EXECUTE);
            }
        }
        return p;
    }

    static InputStream decompress(InputStream in, CompressionMethod method) throws IOException {
        InputStream buffered = new BufferedInputStream(in, BUFFER);
        return switch (method) {
            case NONE -> buffered;
            case GZIP -> new GZIPInputStream(buffered, BUFFER);
            case LZ4 -> new BufferedInputStream(new FramedLZ4CompressorInputStream(buffered, true), BUFFER);
            case ZSTD -> new BufferedInputStream(new ZstdInputStream(buffered), BUFFER);
        };
    }

    /** Reports bytes read. */
    private static final class Counting extends FilterInputStream {
        private final LongConsumer onRead;

        Counting(InputStream in, LongConsumer onRead) {
            super(in);
            this.onRead = onRead;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                onRead.accept(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                onRead.accept(n);
            }
            return n;
        }
    }
}
