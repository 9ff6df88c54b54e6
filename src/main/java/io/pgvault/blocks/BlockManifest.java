package io.pgvault.blocks;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a backup in the block store is: every entry of the data directory (path, type, size, mode, mtime, and
 * for a file the names of its blocks, in order), the block size they were cut with, and whether names are
 * keyed hashes. Every manifest lists all the blocks it needs, so a restore never walks a chain of backups:
 * FULL, DIFF and INCR differ only in what they read and what they refer to, never in how they are restored.
 * Stored as zstd-compressed JSON, as the backup's one catalog file, written after every block it names.
 */
public record BlockManifest(int version, int blockSize, boolean keyed, List<Entry> entries) {

    /** The file name a manifest is stored under, in the backup's location. */
    public static final String FILE = "blocks.manifest.json.zst";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public BlockManifest {
        entries = List.copyOf(entries);
    }

    /** One entry: {@code type} f (file), d (directory) or l (symbolic link, {@code link} its target). */
    public record Entry(String path, char type, long size, int mode, long mtime, String link, List<String> blocks) {

        public Entry {
            blocks = blocks == null ? List.of() : List.copyOf(blocks);
        }

        public boolean isFile() {
            return type == 'f';
        }
    }

    /**
     * The entries below {@code prefix} (such as {@code pg_tblspc/16384/}), named as from there: a tablespace's
     * content as its own directory holds it. A name that would leave that directory is refused.
     */
    public BlockManifest below(String prefix) throws IOException {
        List<Entry> below = new java.util.ArrayList<>();
        for (Entry e : entries) {
            if (e.path().startsWith(prefix)) {
                String path = e.path().substring(prefix.length());
                if (path.isEmpty() || path.startsWith("/") || java.util.Arrays.asList(path.split("/")).contains("..")) {
                    throw new IOException("refusing manifest entry '" + e.path() + "': it leaves " + prefix);
                }
                below.add(new Entry(path, e.type(), e.size(), e.mode(), e.mtime(), e.link(), e.blocks()));
            }
        }
        return new BlockManifest(version, blockSize, keyed, below);
    }

    /** The bytes a restore writes: the sum of the files' sizes. */
    public long dataSize() {
        return entries.stream().filter(Entry::isFile).mapToLong(Entry::size).sum();
    }

    /** Every block name the manifest refers to, once each. */
    public Set<String> blocks() {
        Set<String> all = new LinkedHashSet<>();
        entries.forEach(e -> all.addAll(e.blocks()));
        return all;
    }

    /** Writes the manifest, compressed; {@code out} is left open. */
    public void writeTo(OutputStream out) throws IOException {
        OutputStream open = new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
        try (ZstdOutputStream zstd = new ZstdOutputStream(open)) {
            zstd.setChecksum(true);
            JSON.writeValue(zstd, this);
        }
    }

    public static BlockManifest readFrom(InputStream in) throws IOException {
        try (ZstdInputStream zstd = new ZstdInputStream(in)) {
            BlockManifest manifest = JSON.readValue(zstd, BlockManifest.class);
            if (manifest.version() != 1) {
                throw new IOException("block manifest version " + manifest.version() + " is newer than this pgvault");
            }
            return manifest;
        }
    }
}
