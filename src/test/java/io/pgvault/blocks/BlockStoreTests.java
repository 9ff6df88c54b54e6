package io.pgvault.blocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.job.Cancellation;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import io.pgvault.storage.crypto.RepositoryKeys;
import io.pgvault.storage.local.LocalObjectStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The block store on a local repository, without PostgreSQL: a tar cut into blocks and written back byte for
 * byte, a second backup of the same data adding nothing, a keyed repository naming blocks differently, a delta
 * restore writing only the changed block, and the sweep keeping referenced blocks; a tablespace's entries as named
 * from its own directory.
 */
class BlockStoreTests {

    static final int BLOCK = 64 * 1024;

    @TempDir
    Path temp;

    @Test
    void everyWriteNotesItsKeyBeforeAndAgainWhenARotationChangedItMeanwhile() throws Exception {
        LocalObjectStore objects = new LocalObjectStore(temp.resolve("watched"));
        String[] current = {"aaaaaaaa"};
        List<String> noted = new java.util.ArrayList<>();
        BlockStore store = BlockStore.of(objects, true, new BlockStore.KeyWatch() {
            @Override
            public String current() {
                return current[0];
            }

            @Override
            public void writing(String keyId, boolean always) {
                noted.add(keyId + (always ? "!" : ""));
            }
        });
        assertThat(noted).as("the HMAC key, created outside any lease").containsExactly("aaaaaaaa!");
        byte[] block = random(1000, 3);
        String name = store.hasher().name(block, block.length);
        assertThat(store.storeIfAbsent(name, block, block.length)).isPositive();
        assertThat(noted).containsExactly("aaaaaaaa!", "aaaaaaaa");
        assertThat(store.storeIfAbsent(name, block, block.length)).as("there: nothing written").isZero();
        assertThat(noted).hasSize(2);

        // a rotation while a block is written: the block may be under either key, both are noted
        LocalObjectStore local = new LocalObjectStore(temp.resolve("rotating"));
        io.pgvault.storage.ObjectStore rotating = new io.pgvault.storage.ObjectStore() {
            @Override
            public StoredObject put(String key, java.io.InputStream content) throws java.io.IOException {
                current[0] = "bbbbbbbb";
                return local.put(key, content);
            }

            @Override
            public java.io.InputStream get(String key) throws java.io.IOException {
                return local.get(key);
            }

            @Override
            public java.util.Optional<ObjectInfo> stat(String key) throws java.io.IOException {
                return local.stat(key);
            }

            @Override
            public List<String> list(String prefix) throws java.io.IOException {
                return local.list(prefix);
            }

            @Override
            public void delete(String key) throws java.io.IOException {
                local.delete(key);
            }

            @Override
            public int sweepIncomplete(long olderThanSeconds) {
                return 0;
            }

            @Override
            public String describe() {
                return "rotating";
            }
        };
        noted.clear();
        current[0] = "aaaaaaaa";
        BlockStore.of(rotating, false, new BlockStore.KeyWatch() {
            @Override
            public String current() {
                return current[0];
            }

            @Override
            public void writing(String keyId, boolean always) {
                noted.add(keyId);
            }
        }).storeIfAbsent(name, block, block.length);
        assertThat(noted).containsExactly("aaaaaaaa", "bbbbbbbb");
    }

    @Test
    void cutsStoresOnceAndWritesBackTheSameBytes() throws Exception {
        LocalObjectStore objects = new LocalObjectStore(temp.resolve("repo"));
        BlockStore store = BlockStore.of(objects, false);
        byte[] big = random(3 * BLOCK + 123, 1);
        byte[] small = random(100, 2);
        byte[] tar = tar(List.of("base/", "base/1/16384", "PG_VERSION", "empty"), List.of(big, small, new byte[0]));

        BlockManifest first = ingest(store, tar);
        assertThat(first.entries()).extracting(BlockManifest.Entry::path)
                .containsExactly("base", "base/1/16384", "PG_VERSION", "empty");
        assertThat(first.entries().get(1).blocks()).hasSize(4);
        assertThat(first.entries().get(3).blocks()).isEmpty();
        assertThat(first.dataSize()).isEqualTo(big.length + small.length);

        // the same data again: every block is there, nothing is added
        try (TarBlockWriter writer = new TarBlockWriter(store, BLOCK, 2)) {
            writer.read(new ByteArrayInputStream(tar), "", Cancellation.none());
            assertThat(writer.stats().addedBlocks()).isZero();
            assertThat(writer.stats().blocks()).isEqualTo(5);
        }

        // the manifest survives its own format, and the tar written from it holds the same bytes
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        first.writeTo(stored);
        BlockManifest read = BlockManifest.readFrom(new ByteArrayInputStream(stored.toByteArray()));
        assertThat(read).isEqualTo(first);
        try (InputStream back = ManifestTar.open(store, read, e -> true, 3, n -> { });
                TarArchiveInputStream in = new TarArchiveInputStream(back)) {
            List<String> names = new ArrayList<>();
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                names.add(e.getName());
                if (e.getName().equals("base/1/16384")) {
                    assertThat(in.readAllBytes()).isEqualTo(big);
                } else if (e.getName().equals("PG_VERSION")) {
                    assertThat(in.readAllBytes()).isEqualTo(small);
                }
            }
            assertThat(names).containsExactly("base/", "base/1/16384", "PG_VERSION", "empty");
        }

        // a damaged block fails the restore with the file it belongs to
        String victim = first.entries().get(2).blocks().get(0);
        objects.put(BlockStore.objectKey(victim), new ByteArrayInputStream(new byte[] {1, 2, 3}));
        assertThatThrownBy(() -> {
            try (InputStream back = ManifestTar.open(store, first, e -> true, 2, n -> { })) {
                back.readAllBytes();
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("PG_VERSION");
    }

    /**
     * The tar of a manifest reuses the arrays it decompresses into once the reader has read them: a file of more
     * blocks than there are arrays comes back byte for byte, next to a name too long for a plain tar header; GNU tar
     * itself unpacks the stream, which is padded to whole tar blocks.
     */
    @Test
    void theTarOfManyBlocksAndALongNameUnpacksWithTarByteForByte() throws Exception {
        BlockStore store = BlockStore.of(new LocalObjectStore(temp.resolve("many")), false);
        byte[] large = random(60 * BLOCK + 7, 11);
        byte[] odd = random(BLOCK + 1, 12);
        String longName = "base/16384/" + "x".repeat(150);
        BlockManifest manifest = ingest(store, tar(List.of("base/", "base/16384/", "base/16384/2600", longName),
                List.of(large, odd)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream back = ManifestTar.open(store, manifest, e -> true, 2, n -> { })) {
            back.transferTo(out);
        }
        assertThat(out.size() % 10240).as("padded to tar's blocks").isZero();
        Path into = Files.createDirectories(temp.resolve("unpacked"));
        Process tar = new ProcessBuilder("tar", "-x", "-f", "-", "-b", "2048", "-B", "-C", into.toString())
                .redirectErrorStream(true).start();
        try (OutputStream stdin = tar.getOutputStream()) {
            stdin.write(out.toByteArray());
        }
        String said = new String(tar.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(tar.waitFor()).as(said).isZero();
        assertThat(Files.readAllBytes(into.resolve("base/16384/2600"))).isEqualTo(large);
        assertThat(Files.readAllBytes(into.resolve(longName))).isEqualTo(odd);
    }

    /** The level applies to new blocks only; whatever level wrote a block, every store reads it by its name. */
    @Test
    void blocksAreCompressedAtTheStoresLevelAndReadAtAnyLevel() throws Exception {
        LocalObjectStore objects = new LocalObjectStore(temp.resolve("levels"));
        BlockStore fast = BlockStore.of(objects, false, BlockStore.KeyWatch.NONE, 1);
        BlockStore small = BlockStore.of(objects, false, BlockStore.KeyWatch.NONE, 19);
        byte[] text = new byte[BLOCK];
        Random random = new Random(7);
        for (int i = 0; i < text.length; i++) {
            // words from a small alphabet: compressible, and compressed better at a higher level
            text[i] = (byte) ('a' + random.nextInt(6) + (i % 50 == 0 ? 20 : 0));
        }
        byte[] other = text.clone();
        other[0] = 'z';
        String a = fast.hasher().name(text, text.length);
        String b = small.hasher().name(other, other.length);
        long atOne = fast.store(a, text, text.length, null).bytes();
        long atNineteen = small.store(b, other, other.length, null).bytes();
        assertThat(atNineteen).isPositive().isLessThan(atOne);
        assertThat(small.read(a)).isEqualTo(text);
        assertThat(fast.read(b)).isEqualTo(other);
        assertThatThrownBy(() -> BlockStore.of(objects, false, BlockStore.KeyWatch.NONE, 20))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBackupCutOffMidwayLeavesBlocksItsRetryReuses() throws Exception {
        BlockStore store = BlockStore.of(new LocalObjectStore(temp.resolve("repo")), false);
        byte[] first = random(2 * BLOCK, 6);
        byte[] second = random(3 * BLOCK, 7);
        byte[] tar = tar(List.of("a", "b"), List.of(first, second));
        // the stream breaks inside the second file: no manifest can be built, the first file's blocks are stored
        byte[] cut = java.util.Arrays.copyOf(tar, 512 + first.length + 512 + BLOCK + 100);
        assertThatThrownBy(() -> ingest(store, cut)).isInstanceOf(IOException.class);
        try (TarBlockWriter retry = new TarBlockWriter(store, BLOCK, 2)) {
            retry.read(new ByteArrayInputStream(tar), "", Cancellation.none());
            assertThat(retry.stats().blocks()).isEqualTo(5);
            assertThat(retry.stats().addedBlocks()).as("the retry stores only what the cut-off run did not read")
                    .isEqualTo(2);
        }
    }

    @Test
    void anEncryptedRepositoryNamesBlocksByAKeyedHash() throws Exception {
        LocalObjectStore objects = new LocalObjectStore(temp.resolve("keyed"));
        BlockStore keyed = BlockStore.of(objects, true);
        BlockStore plain = BlockStore.of(new LocalObjectStore(temp.resolve("plain")), false);
        byte[] data = random(1000, 3);
        String keyedName = keyed.hasher().name(data, data.length);
        assertThat(keyedName).isNotEqualTo(plain.hasher().name(data, data.length)).hasSize(64);
        // the key is the repository's: opened again, the same name
        assertThat(BlockStore.of(objects, true).hasher().name(data, data.length)).isEqualTo(keyedName);
        assertThat(BlockStore.of(new LocalObjectStore(temp.resolve("other")), true).hasher().name(data, data.length))
                .isNotEqualTo(keyedName);

        // through the repository's encryption decorator: blocks (and the HMAC key) are ciphertext at rest
        LocalObjectStore raw = new LocalObjectStore(temp.resolve("encrypted"));
        EncryptedObjectStore encrypted = new EncryptedObjectStore(raw, RepositoryKeys.fromFiles(
                temp.resolve("keys/main.key"), List.of()));
        BlockStore sealed = BlockStore.of(encrypted, true);
        BlockManifest manifest = ingest(sealed, tar(List.of("f"), List.of(data)));
        String name = manifest.entries().get(0).blocks().get(0);
        try (InputStream stored = raw.get(BlockStore.objectKey(name))) {
            byte[] atRest = stored.readAllBytes();
            assertThat(new String(atRest, 0, 15, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("pgvault-aead-1 ");
        }
        try (InputStream key = raw.get(BlockStore.PREFIX + "hmac-key")) {
            assertThat(new String(key.readAllBytes(), 0, 15, java.nio.charset.StandardCharsets.US_ASCII))
                    .isEqualTo("pgvault-aead-1 ");
        }
        assertThat(sealed.read(name)).isEqualTo(data);
        assertThat(BlockCheck.run(sealed, manifest, 2, Cancellation.none(), n -> { }).problems()).isEmpty();
    }

    @Test
    void aCheckStopsAtTheFirstBlockWhoseKeyIsGoneAndListsAtMostAHundredBadBlocks() throws Exception {
        byte[] data = random((BlockCheck.LISTED + 30) * BLOCK, 7);
        LocalObjectStore raw = new LocalObjectStore(temp.resolve("sealed"));
        BlockManifest sealed = ingest(BlockStore.of(new EncryptedObjectStore(raw, RepositoryKeys.fromFiles(
                temp.resolve("keys/main.key"), List.of())), true), tar(List.of("f"), List.of(data)));
        assertThat(sealed.entries().get(0).blocks()).hasSize(BlockCheck.LISTED + 30);
        // the HMAC key rewritten under a new key (as a re-encryption does), the blocks still under the old one, and
        // the old key's file then lost: the store opens, its blocks do not read
        EncryptedObjectStore newKeyOnly = new EncryptedObjectStore(raw, RepositoryKeys.fromFiles(
                temp.resolve("other-keys/main.key"), List.of()));
        byte[] hmac;
        try (InputStream in = new EncryptedObjectStore(raw, RepositoryKeys.fromFiles(temp.resolve("keys/main.key"),
                List.of())).get(BlockStore.PREFIX + "hmac-key")) {
            hmac = in.readAllBytes();
        }
        newKeyOnly.put(BlockStore.PREFIX + "hmac-key", new ByteArrayInputStream(hmac));
        BlockStore keyLost = BlockStore.of(newKeyOnly, true);
        List<String> problems = BlockCheck.run(keyLost, sealed, 2, Cancellation.none(), n -> { }).problems();
        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).contains("no key with id").contains("the check stopped there").contains("[f]");

        // blocks deleted behind the store's back: the first hundred described, the rest counted
        LocalObjectStore plainObjects = new LocalObjectStore(temp.resolve("plain"));
        BlockStore plain = BlockStore.of(plainObjects, false);
        BlockManifest manifest = ingest(plain, tar(List.of("f"), List.of(data)));
        for (String name : manifest.entries().get(0).blocks()) {
            plain.delete(name);
        }
        problems = BlockCheck.run(plain, manifest, 2, Cancellation.none(), n -> { }).problems();
        assertThat(problems).hasSize(BlockCheck.LISTED + 1);
        assertThat(problems.get(0)).contains("cannot be read").contains("[f]");
        assertThat(problems.get(BlockCheck.LISTED)).isEqualTo("and 30 more bad block(s)");
    }

    @Test
    void aTablespacesEntriesAreNamedAsFromItsOwnDirectoryAndNeverLeaveIt() throws Exception {
        String recorded = "/srv/ts"; // fixed-path-ok: a link target a manifest records, never read or written
        BlockManifest manifest = new BlockManifest(1, BLOCK, false, List.of(
                new BlockManifest.Entry("base", 'd', 0, 0700, 0, null, null),
                new BlockManifest.Entry("pg_tblspc/16384", 'l', 0, 0777, 0, recorded, null),
                new BlockManifest.Entry("pg_tblspc/16384/PG_15_202209061", 'd', 0, 0700, 0, null, null),
                new BlockManifest.Entry("pg_tblspc/16384/PG_15_202209061/5/16385", 'f', 3, 0600, 0, null,
                        List.of("abc"))));
        assertThat(manifest.below("pg_tblspc/16384/").entries()).extracting(BlockManifest.Entry::path)
                .containsExactly("PG_15_202209061", "PG_15_202209061/5/16385");
        BlockManifest leaving = new BlockManifest(1, BLOCK, false, List.of(
                new BlockManifest.Entry("pg_tblspc/16384/../../base/1", 'f', 0, 0600, 0, null, null)));
        assertThatThrownBy(() -> leaving.below("pg_tblspc/16384/")).isInstanceOf(IOException.class)
                .hasMessageContaining("leaves pg_tblspc/16384/");
    }

    @Test
    void aDeltaRestoreWritesOnlyWhatDiffersAndTheSweepKeepsWhatIsReferenced() throws Exception {
        LocalObjectStore objects = new LocalObjectStore(temp.resolve("repo"));
        BlockStore store = BlockStore.of(objects, false);
        byte[] big = random(4 * BLOCK, 4);
        byte[] other = random(5000, 5);
        BlockManifest manifest = ingest(store, tar(List.of("base/", "base/big", "other"), List.of(big, other)));

        Path dir = Files.createDirectory(temp.resolve("data"));
        Files.createDirectory(dir.resolve("base"));
        byte[] drifted = big.clone();
        drifted[BLOCK + 7] ^= 1;
        Files.write(dir.resolve("base/big"), java.util.Arrays.copyOf(drifted, drifted.length + 10));
        Files.write(dir.resolve("stray"), new byte[] {9});
        Files.write(dir.resolve("kept"), new byte[] {9});

        DeltaRestore.Report report = DeltaRestore.run(store, manifest, dir, e -> true, "kept"::equals, 2,
                local(dir), Cancellation.none());
        assertThat(Files.readAllBytes(dir.resolve("base/big"))).isEqualTo(big);
        assertThat(Files.readAllBytes(dir.resolve("other"))).isEqualTo(other);
        assertThat(dir.resolve("stray")).doesNotExist();
        assertThat(dir.resolve("kept")).exists();
        assertThat(report.bytesChecked()).isEqualTo(big.length);
        assertThat(report.bytesSkipped()).isEqualTo(3L * BLOCK);
        assertThat(report.bytesWritten()).isEqualTo(BLOCK + other.length);
        assertThat(report.describe()).contains("checked", "skipped", "written");

        // another backup that drops `other`; only the first manifest is deleted; a sweep then takes other's block
        BlockManifest second = ingest(store, tar(List.of("base/", "base/big"), List.of(big)));
        objects.put("c/BASE/2/" + BlockManifest.FILE, new ByteArrayInputStream(manifestBytes(second)));
        Instant later = Instant.now().plusSeconds(60);
        assertThat(BlockSweep.sweep(objects, store, later, () -> true).skipped()).isTrue();
        BlockSweep.Result swept = BlockSweep.sweep(objects, store, later, () -> false);
        assertThat(swept.removed()).isEqualTo(1);
        assertThat(store.has(manifest.entries().get(2).blocks().get(0))).isFalse();
        assertThat(second.blocks()).allSatisfy(n -> assertThat(store.has(n)).isTrue());
        // within the grace period nothing goes
        assertThat(BlockSweep.sweep(objects, store, Instant.now().minusSeconds(3600), () -> false).removed()).isZero();
    }

    /**
     * Marking finds manifests below every top-level place but the block store: it lists the top level, then each
     * place below it, never the blocks (a terabyte's million of them); a manifest in any of them is found.
     */
    @Test
    void theSweepsMarkingListsNoBlock() throws Exception {
        LocalObjectStore objects = new LocalObjectStore(temp.resolve("marked"));
        BlockStore store = BlockStore.of(objects, false);
        BlockManifest first = ingest(store, tar(List.of("base/", "base/a"), List.of(random(3 * BLOCK, 21))));
        BlockManifest second = ingest(store, tar(List.of("base/", "base/b"), List.of(random(2 * BLOCK, 22))));
        objects.put("main/BASE/1/" + BlockManifest.FILE, new ByteArrayInputStream(manifestBytes(first)));
        objects.put("other/BASE/2/" + BlockManifest.FILE, new ByteArrayInputStream(manifestBytes(second)));
        objects.put("main/wal/000000010000000000000001", new ByteArrayInputStream(new byte[] {1}));
        List<String> listed = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.pgvault.storage.ObjectStore watched = (io.pgvault.storage.ObjectStore) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {io.pgvault.storage.ObjectStore.class}, (proxy, method, args) -> {
                    if (method.getName().startsWith("list")) {
                        listed.add(method.getName() + " " + args[0]);
                    }
                    try {
                        return method.invoke(objects, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });

        // a directory whose name is no object key (a volume's lost+found) holds no manifest, and stops nothing
        Files.createDirectories(temp.resolve("marked").resolve("lost+found"));
        int[] manifests = {0};
        java.util.Set<String> referenced = BlockSweep.referenced(watched, manifests);
        assertThat(manifests[0]).isEqualTo(2);
        assertThat(referenced).containsAll(first.blocks()).containsAll(second.blocks());
        assertThat(listed).containsExactly("listLevel ", "list main/", "list other/");

        // a gate that knows of more backups than marking found manifests for lets nothing be deleted
        objects.delete("other/BASE/2/" + BlockManifest.FILE);
        BlockSweep.Result refused = BlockSweep.sweep(objects, store, Instant.now().plusSeconds(60),
                new BlockSweep.Gate() {
                    @Override
                    public boolean start() {
                        return true;
                    }

                    @Override
                    public boolean delete(BlockLeases.Deletions batch) throws IOException {
                        batch.run();
                        return true;
                    }

                    @Override
                    public boolean marked(int found) {
                        return found >= 2;
                    }
                });
        assertThat(refused.skipped()).isTrue();
        assertThat(refused.removed()).isZero();
        assertThat(second.blocks()).allSatisfy(n -> assertThat(store.has(n)).isTrue());
    }

    static DeltaRestore.Target local(Path dir) {
        return new DeltaRestore.Target() {
            @Override
            public void write(String path, long offset, byte[] data) throws IOException {
                try (RandomAccessFile f = new RandomAccessFile(dir.resolve(path).toFile(), "rw")) {
                    f.seek(offset);
                    f.write(data);
                }
            }

            @Override
            public void truncate(String path, long size) throws IOException {
                try (RandomAccessFile f = new RandomAccessFile(dir.resolve(path).toFile(), "rw")) {
                    f.setLength(size);
                }
            }

            @Override
            public void remove(List<String> paths) throws IOException {
                for (String p : paths) {
                    io.pgvault.storage.FileTrees.delete(dir.resolve(p));
                }
            }

            @Override
            public void untar(InputStream tar) throws IOException {
                TarArchiveInputStream in = new TarArchiveInputStream(tar);
                TarArchiveEntry e;
                while ((e = in.getNextEntry()) != null) {
                    Path p = dir.resolve(e.getName());
                    if (e.isDirectory()) {
                        Files.createDirectories(p);
                    } else {
                        Files.write(p, in.readAllBytes());
                    }
                }
            }
        };
    }

    static byte[] manifestBytes(BlockManifest m) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.writeTo(out);
        return out.toByteArray();
    }

    static BlockManifest ingest(BlockStore store, byte[] tar) throws Exception {
        try (TarBlockWriter writer = new TarBlockWriter(store, BLOCK, 2)) {
            return new BlockManifest(1, BLOCK, store.keyed(), writer.read(new ByteArrayInputStream(tar), "",
                    Cancellation.none()));
        }
    }

    /** A tar of directories (names ending in '/') and files, the files taking {@code contents} in order. */
    static byte[] tar(List<String> names, List<byte[]> contents) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int next = 0;
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String name : names) {
                TarArchiveEntry entry = new TarArchiveEntry(name);
                if (name.endsWith("/")) {
                    entry.setMode(040700);
                    tar.putArchiveEntry(entry);
                } else {
                    byte[] content = contents.get(next++);
                    entry.setMode(0100600);
                    entry.setSize(content.length);
                    tar.putArchiveEntry(entry);
                    tar.write(content);
                }
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }
}
