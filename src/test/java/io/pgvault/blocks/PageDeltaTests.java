package io.pgvault.blocks;

import static io.pgvault.blocks.BlockStoreTests.random;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.job.Cancellation;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import io.pgvault.storage.crypto.RepositoryKeys;
import io.pgvault.storage.local.LocalObjectStore;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Page deltas in the block store, without PostgreSQL: a block of which a few pages changed is stored as those pages
 * against the whole block it replaces (a page of which a few bytes changed in far less than a page), reads back whole, is referred to again rather than stored twice, and the next
 * one is stored against the same whole block (never against a delta); a FULL makes none but refers again to the
 * delta of a block unchanged since; a block changed for more than half whose delta
 * would not store in three quarters of it, or whose base cannot be read, is stored whole. The sweep keeps a kept delta's base; a check names a delta whose base is
 * gone; a copy stores a delta as its whole block; an encrypted repository does the same through its decorator;
 * pg_basebackup's stream cut into blocks makes the same deltas, and a restore's tar holds the exact bytes.
 */
class PageDeltaTests {

    static final int PAGE = BlockStore.PAGE;
    static final int PAGES = 16;

    @TempDir
    Path temp;

    @Test
    void aFewChangedPagesAreStoredAsThosePagesAgainstAWholeBlock() throws Exception {
        BlockStore store = BlockStore.of(new LocalObjectStore(temp.resolve("repo")), false);
        byte[] first = random(PAGES * PAGE, 1);
        String firstName = name(store, first);
        BlockStore.Stored whole = store.store(firstName, first, first.length, null);
        assertThat(whole.reference()).as("no previous block: whole").isEqualTo(firstName);
        assertThat(whole.bytes()).isGreaterThan(PAGES * PAGE);

        byte[] second = changed(first, 2, 3, 9);
        String secondName = name(store, second);
        BlockStore.Stored delta = store.store(secondName, second, second.length, firstName);
        assertThat(delta.reference()).isEqualTo(secondName + "-" + firstName);
        assertThat(BlockStore.blockName(delta.reference())).isEqualTo(secondName);
        assertThat(BlockStore.baseOf(delta.reference())).contains(firstName);
        assertThat(delta.bytes()).as("three pages of random bytes and a header").isBetween(3L * PAGE, 4L * PAGE);
        assertThat(store.read(delta.reference())).isEqualTo(second);
        assertThat(store.store(secondName, second, second.length, firstName))
                .as("stored already: referred to").isEqualTo(new BlockStore.Stored(delta.reference(), 0));
        assertThat(store.store(secondName, second, second.length, delta.reference()))
                .as("unchanged since a backup that stored it as a delta: the same delta")
                .isEqualTo(new BlockStore.Stored(delta.reference(), 0));

        // a few bytes of each of six pages (a tuple's xmax, a page's LSN): the pages are stored as their XOR with
        // the base's, mostly zeros, in far less than a page
        byte[] touched = first.clone();
        for (int p : new int[] {0, 1, 5, 6, 12, 15}) {
            for (int i = 0; i < 8; i++) {
                touched[p * PAGE + 100 + i] ^= (byte) (i + 1);
            }
        }
        BlockStore.Stored small = store.store(name(store, touched), touched, touched.length, firstName);
        assertThat(BlockStore.baseOf(small.reference())).contains(firstName);
        assertThat(small.bytes()).as("six pages, eight bytes changed in each").isLessThan(PAGE / 8);
        assertThat(store.read(small.reference())).isEqualTo(touched);

        // a FULL makes no delta, but refers again to the delta of a block unchanged since the newest backup
        assertThat(store.store(secondName, second, second.length, delta.reference(), false))
                .isEqualTo(new BlockStore.Stored(delta.reference(), 0));
        byte[] fresh = changed(second, 7);
        assertThat(store.store(name(store, fresh), fresh, fresh.length, delta.reference(), false).reference())
                .isEqualTo(name(store, fresh));

        // the next change builds on the whole block, not on the delta: a read never takes more than two objects
        byte[] third = changed(second, 4, 11);
        String thirdName = name(store, third);
        BlockStore.Stored next = store.store(thirdName, third, third.length, delta.reference());
        assertThat(next.reference()).isEqualTo(thirdName + "-" + firstName);
        assertThat(store.read(next.reference())).isEqualTo(third);

        // more than half the pages changed: a delta only while it stores in at most three quarters of the whole
        byte[] most = changed(first, 0, 1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(store.store(name(store, most), most, most.length, next.reference()).reference())
                .as("9 of 16 random pages").isEqualTo(name(store, most) + "-" + firstName);
        byte[] rewritten = changed(first, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
        String rewrittenName = name(store, rewritten);
        assertThat(store.store(rewrittenName, rewritten, rewritten.length, next.reference()).reference())
                .as("14 of 16 random pages: whole, and the base of what follows").isEqualTo(rewrittenName);
        byte[] after = changed(rewritten, 3);
        assertThat(store.store(name(store, after), after, after.length, rewrittenName).reference())
                .isEqualTo(name(store, after) + "-" + rewrittenName);
        // not whole pages, or not the base's length: whole
        byte[] longer = java.util.Arrays.copyOf(first, first.length + PAGE);
        assertThat(store.store(name(store, longer), longer, longer.length, firstName).reference())
                .isEqualTo(name(store, longer));
        byte[] odd = java.util.Arrays.copyOf(first, first.length - 100);
        assertThat(store.store(name(store, odd), odd, odd.length, firstName).reference()).isEqualTo(name(store, odd));
    }

    @Test
    void theSweepKeepsAKeptDeltasBaseAndACheckNamesADeltaWhoseBaseIsGone() throws Exception {
        LocalObjectStore objects = new LocalObjectStore(temp.resolve("repo"));
        BlockStore store = BlockStore.of(objects, false);
        byte[] first = random(PAGES * PAGE, 2);
        String base = store.store(name(store, first), first, first.length, null).reference();
        byte[] second = changed(first, 5);
        String delta = store.store(name(store, second), second, second.length, base).reference();
        byte[] unused = random(PAGE, 3);
        String stray = store.store(name(store, unused), unused, unused.length, null).reference();

        // only the delta's manifest is left: the sweep keeps the delta and its base, and takes the stray block
        BlockManifest manifest = new BlockManifest(1, PAGES * PAGE, false, List.of(
                new BlockManifest.Entry("base/1/16384", 'f', second.length, 0600, 0, null, List.of(delta))));
        objects.put("c/BASE/2/" + BlockManifest.FILE, new ByteArrayInputStream(BlockStoreTests.manifestBytes(manifest)));
        BlockSweep.Result swept = BlockSweep.sweep(objects, store, Instant.now().plusSeconds(60), () -> false);
        assertThat(swept.removed()).isEqualTo(1);
        assertThat(store.has(stray)).isFalse();
        assertThat(store.has(delta)).isTrue();
        assertThat(store.has(base)).isTrue();
        BlockCheck.Result checked = BlockCheck.run(store, manifest, 2, Cancellation.none(), n -> { });
        assertThat(checked.problems()).isEmpty();
        assertThat(checked.bytes()).isEqualTo(second.length);

        // the base gone behind the store's back: the check names the delta and the file it breaks, and a backup
        // that meets the same block again stores it whole instead of referring to the orphaned delta
        store.delete(base);
        List<String> problems = BlockCheck.run(store, manifest, 2, Cancellation.none(), n -> { }).problems();
        assertThat(problems).singleElement().asString().contains(delta).contains("base/1/16384");
        assertThat(store.hasToReference(delta)).isFalse();
        BlockStore.Stored again = store.store(name(store, second), second, second.length, delta);
        assertThat(again.reference()).isEqualTo(name(store, second));
        assertThat(again.bytes()).isPositive();
        assertThat(store.read(again.reference())).isEqualTo(second);
    }

    @Test
    void aCopyStoresADeltaAsItsWholeBlockAndAnEncryptedRepositoryKeepsDeltasSealed() throws Exception {
        LocalObjectStore raw = new LocalObjectStore(temp.resolve("sealed"));
        BlockStore sealed = BlockStore.of(new EncryptedObjectStore(raw, RepositoryKeys.fromFiles(
                temp.resolve("keys/main.key"), List.of())), true);
        byte[] first = random(PAGES * PAGE, 4);
        String base = sealed.store(name(sealed, first), first, first.length, null).reference();
        byte[] second = changed(first, 0, 15);
        BlockStore.Stored delta = sealed.store(name(sealed, second), second, second.length, base);
        assertThat(BlockStore.baseOf(delta.reference())).contains(base);
        try (java.io.InputStream atRest = raw.get(BlockStore.objectKey(delta.reference()))) {
            assertThat(new String(atRest.readNBytes(15), java.nio.charset.StandardCharsets.US_ASCII))
                    .isEqualTo("pgvault-aead-1 ");
        }
        assertThat(sealed.read(delta.reference())).isEqualTo(second);

        BlockManifest manifest = new BlockManifest(1, PAGES * PAGE, true, List.of(
                new BlockManifest.Entry("f", 'f', second.length * 2L, 0600, 0, null, List.of(base, delta.reference()))));
        BlockStore plain = BlockStore.of(new LocalObjectStore(temp.resolve("plain")), false);
        BlockCopy.Result copied = BlockCopy.run(sealed, plain, manifest, 2, Cancellation.none(), n -> { });
        assertThat(copied.rewritten()).isTrue();
        List<String> names = copied.manifest().entries().get(0).blocks();
        assertThat(names).allSatisfy(n -> assertThat(BlockStore.baseOf(n)).isEmpty());
        assertThat(plain.read(names.get(1))).isEqualTo(second);

        // between plain repositories too: the target holds the whole block, not a delta without its base
        LocalObjectStore sourceObjects = new LocalObjectStore(temp.resolve("source"));
        BlockStore source = BlockStore.of(sourceObjects, false);
        String plainBase = source.store(name(source, first), first, first.length, null).reference();
        String plainDelta = source.store(name(source, second), second, second.length, plainBase).reference();
        BlockManifest one = new BlockManifest(1, PAGES * PAGE, false, List.of(
                new BlockManifest.Entry("f", 'f', second.length, 0600, 0, null, List.of(plainDelta))));
        BlockStore target = BlockStore.of(new LocalObjectStore(temp.resolve("target")), false);
        BlockCopy.Result toPlain = BlockCopy.run(source, target, one, 2, Cancellation.none(), n -> { });
        assertThat(toPlain.rewritten()).isTrue();
        assertThat(toPlain.manifest().entries().get(0).blocks()).containsExactly(name(source, second));
        assertThat(target.read(name(source, second))).isEqualTo(second);
        assertThat(BlockCheck.run(target, toPlain.manifest(), 2, Cancellation.none(), n -> { }).problems()).isEmpty();
    }

    @Test
    void pgBasebackupsStreamCutIntoBlocksMakesDeltasAgainstTheReferenceAndReadsBackExactly() throws Exception {
        BlockStore store = BlockStore.of(new LocalObjectStore(temp.resolve("repo")), false);
        int block = PAGES * PAGE;
        byte[] relation = random(3 * block, 5);
        BlockManifest full;
        try (TarBlockWriter writer = new TarBlockWriter(store, block, 2)) {
            full = new BlockManifest(1, block, false, writer.read(new ByteArrayInputStream(BlockStoreTests.tar(
                    List.of("base/", "base/16384"), List.of(relation))), "", Cancellation.none()));
        }
        // a row updated in the first and the last block: two deltas against the FULL's blocks, the middle one reused
        byte[] updated = relation.clone();
        updated[3 * PAGE + 40] ^= 1;
        updated[2 * block + 5 * PAGE + 40] ^= 1;
        java.util.Map<String, BlockManifest.Entry> previous = java.util.Map.of("base/16384", full.entries().get(1));
        BlockManifest incr;
        TarBlockWriter.Stats stats;
        try (TarBlockWriter writer = new TarBlockWriter(store, block, 2, previous, true)) {
            incr = new BlockManifest(1, block, false, writer.read(new ByteArrayInputStream(BlockStoreTests.tar(
                    List.of("base/", "base/16384"), List.of(updated))), "", Cancellation.none()));
            stats = writer.stats();
        }
        List<String> refs = incr.entries().get(1).blocks();
        assertThat(refs).hasSize(3);
        assertThat(BlockStore.baseOf(refs.get(0))).contains(full.entries().get(1).blocks().get(0));
        assertThat(refs.get(1)).isEqualTo(full.entries().get(1).blocks().get(1));
        assertThat(BlockStore.baseOf(refs.get(2))).contains(full.entries().get(1).blocks().get(2));
        assertThat(stats.deltaBlocks()).isEqualTo(2);
        assertThat(stats.storedBytesAdded()).as("two pages with one bit flipped each").isLessThan(PAGE / 4);

        byte[] restored;
        try (java.io.InputStream tar = ManifestTar.open(store, incr, e -> true, 2, n -> { });
                org.apache.commons.compress.archivers.tar.TarArchiveInputStream in =
                        new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(tar)) {
            org.apache.commons.compress.archivers.tar.TarArchiveEntry e;
            restored = null;
            while ((e = in.getNextEntry()) != null) {
                if (e.getName().equals("base/16384")) {
                    restored = in.readAllBytes();
                }
            }
        }
        assertThat(restored).isEqualTo(updated);
    }

    static String name(BlockStore store, byte[] data) {
        return store.hasher().name(data, data.length);
    }

    /** {@code data} with the given pages overwritten by other random bytes. */
    static byte[] changed(byte[] data, int... pages) {
        byte[] copy = data.clone();
        java.util.Random random = new java.util.Random(pages.length * 31L + pages[0]);
        for (int p : pages) {
            byte[] page = new byte[PAGE];
            random.nextBytes(page);
            System.arraycopy(page, 0, copy, p * PAGE, PAGE);
        }
        return copy;
    }
}
