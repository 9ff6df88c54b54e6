package io.pgvault.storage.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names created to be synced later: the content is there at once, the directory is owed until the next put, create
 * or delete of a store sharing the record (any store of the process, in production), which fsyncs each owed
 * directory once; a name found to be referred to is owed too, and a store's ordinary writes owe nothing.
 */
class DirectorySyncsTests {

    @TempDir
    Path temp;

    @Test
    void namesAreOwedUntilTheNextWriteOfAnyStoreSharingTheRecord() throws Exception {
        DirectorySyncs syncs = new DirectorySyncs();
        LocalObjectStore blocks = new LocalObjectStore(temp.resolve("repo"), syncs);
        LocalObjectStore sameRepository = new LocalObjectStore(temp.resolve("repo"), syncs);
        for (int i = 0; i < 20; i++) {
            assertThat(blocks.createNameSyncedLater(".blocks/" + (i % 4) + "a/block" + i,
                    new ByteArrayInputStream(new byte[] {(byte) i}))).isPresent();
        }
        assertThat(syncs.pendingCount()).as("one per directory, not per name").isEqualTo(4);
        assertThat(blocks.get(".blocks/1a/block5").readAllBytes()).containsExactly(5);
        assertThat(blocks.createNameSyncedLater(".blocks/1a/block5", new ByteArrayInputStream(new byte[] {9})))
                .as("created already: the first stays").isEmpty();

        sameRepository.put("cluster/BASE/1/manifest", new ByteArrayInputStream(new byte[] {1}));
        assertThat(syncs.pendingCount()).as("the manifest's put synced every owed directory first").isZero();

        assertThat(blocks.statToReference(".blocks/2a/block2")).isPresent();
        assertThat(syncs.pendingCount()).as("a name found to be referred to is owed too").isEqualTo(1);
        blocks.delete("cluster/BASE/1/manifest");
        assertThat(syncs.pendingCount()).isZero();

        blocks.create("other/x", new ByteArrayInputStream(new byte[] {1}));
        blocks.put("other/y", new ByteArrayInputStream(new byte[] {1}));
        assertThat(syncs.pendingCount()).as("ordinary writes sync their own directory").isZero();
        assertThat(LocalObjectStore.syncPendingNames()).isGreaterThanOrEqualTo(0);
    }
}
