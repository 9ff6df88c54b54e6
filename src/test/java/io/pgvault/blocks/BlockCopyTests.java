package io.pgvault.blocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.job.Cancellation;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import io.pgvault.storage.crypto.RepositoryKeys;
import io.pgvault.storage.local.LocalObjectStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Copies of a backup's blocks between two block stores, without PostgreSQL: between plain repositories the names
 * stay and present blocks are not even read; into an encrypted one every name is recomputed under its own key, the
 * manifest rewritten, and a second copy of a changed backup stores only the new blocks; a damaged source block is
 * never copied.
 */
class BlockCopyTests {

    static final int BLOCK = 64 * 1024;

    @TempDir
    Path temp;

    @Test
    void copiesOnlyWhatTheTargetLacksUnderTheTargetsOwnNames() throws Exception {
        BlockStore source = BlockStore.of(new LocalObjectStore(temp.resolve("main")), false);
        byte[] data = BlockStoreTests.random(5 * BLOCK + 7, 1);
        BlockManifest full = BlockStoreTests.ingest(source, BlockStoreTests.tar(List.of("f"), List.of(data)));

        BlockStore plain = BlockStore.of(new LocalObjectStore(temp.resolve("near")), false);
        BlockCopy.Result toPlain = BlockCopy.run(source, plain, full, 3, Cancellation.none(), n -> { });
        assertThat(toPlain.rewritten()).isFalse();
        assertThat(toPlain.manifest()).isEqualTo(full);
        assertThat(toPlain.added()).isEqualTo(6);

        LocalObjectStore raw = new LocalObjectStore(temp.resolve("offsite"));
        BlockStore sealed = BlockStore.of(new EncryptedObjectStore(raw, RepositoryKeys.fromFiles(
                temp.resolve("keys/offsite.key"), List.of())), true);
        BlockCopy.Result toSealed = BlockCopy.run(source, sealed, full, 3, Cancellation.none(), n -> { });
        assertThat(toSealed.rewritten()).isTrue();
        assertThat(toSealed.manifest().keyed()).isTrue();
        assertThat(toSealed.added()).isEqualTo(6);
        assertThat(toSealed.manifest().blocks()).hasSize(6).doesNotContainAnyElementsOf(full.blocks());
        assertThat(tarOf(sealed, toSealed.manifest())).isEqualTo(tarOf(source, full));

        // one block changed: the next copies store one block each; the plain one reads only that one
        byte[] changed = data.clone();
        changed[2 * BLOCK + 5] ^= 1;
        BlockManifest incr = BlockStoreTests.ingest(source, BlockStoreTests.tar(List.of("f"), List.of(changed)));
        BlockCopy.Result again = BlockCopy.run(source, plain, incr, 3, Cancellation.none(), n -> { });
        assertThat(again.added()).isEqualTo(1);
        assertThat(again.read()).isEqualTo(1);
        BlockCopy.Result sealedAgain = BlockCopy.run(source, sealed, incr, 3, Cancellation.none(), n -> { });
        assertThat(sealedAgain.added()).isEqualTo(1);
        assertThat(sealedAgain.read()).as("names must be recomputed: every block is read").isEqualTo(6);
        assertThat(tarOf(sealed, sealedAgain.manifest())).isEqualTo(tarOf(source, incr));
    }

    @Test
    void aDamagedSourceBlockIsNeverCopied() throws Exception {
        LocalObjectStore objects = new LocalObjectStore(temp.resolve("main"));
        BlockStore source = BlockStore.of(objects, false);
        BlockManifest full = BlockStoreTests.ingest(source, BlockStoreTests.tar(List.of("f"),
                List.of(BlockStoreTests.random(3 * BLOCK, 2))));
        String name = full.entries().get(0).blocks().get(1);
        // another block's (valid) frame under this name: it decompresses, but its hash is not its name
        byte[] other;
        try (InputStream in = objects.get(BlockStore.objectKey(full.entries().get(0).blocks().get(0)))) {
            other = in.readAllBytes();
        }
        objects.put(BlockStore.objectKey(name), new ByteArrayInputStream(other));
        BlockStore target = BlockStore.of(new LocalObjectStore(temp.resolve("near")), false);
        assertThatThrownBy(() -> BlockCopy.run(source, target, full, 2, Cancellation.none(), n -> { }))
                .hasMessageContaining("block " + name + " holds other content");
        assertThat(target.has(name)).isFalse();
    }

    private static byte[] tarOf(BlockStore store, BlockManifest manifest) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = ManifestTar.open(store, manifest, e -> true, 2, n -> { })) {
            in.transferTo(out);
        }
        return out.toByteArray();
    }
}
