package io.pgvault.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What every repository store promises, run against each backend (local disk, S3 through a real S3 server) and
 * each codec decorator over one (encrypted): puts are all or nothing, keys mean the same everywhere, reads give
 * back exactly what was put, and what a put answers (size, SHA-256) describes the bytes the backend holds, which
 * are the original ones unless a decorator encodes them.
 */
public abstract class ObjectStoreContract {

    /** The store under test, empty at the start of each test. */
    protected abstract ObjectStore store();

    /** A size that takes several parts on this backend (local stores have no parts: any size). */
    protected abstract int multipartSize();

    /** What the backend holds that interrupted puts left behind (temporary files, incomplete uploads). */
    protected abstract int leftovers() throws IOException;

    /** The bytes the backend holds under the key: what was put, unless the store under test encodes it. */
    protected byte[] storedBytes(String key) throws IOException {
        try (InputStream in = store().get(key)) {
            return in.readAllBytes();
        }
    }

    @Test
    void whatIsPutIsReadBackByteForByteWithItsSizeAndChecksum() throws IOException {
        for (int size : new int[] {0, 1, 1000, multipartSize()}) {
            byte[] bytes = random(size);
            String key = "c/BASE/b" + size + "/base.tar.zst";
            ObjectStore.StoredObject stored = store().put(key, new ByteArrayInputStream(bytes));
            byte[] held = storedBytes(key);
            assertThat(stored.size()).isEqualTo(held.length);
            assertThat(stored.sha256()).isEqualTo(Sha256.of(held));
            try (InputStream in = store().get(key)) {
                assertThat(in.readAllBytes()).as("%d bytes", size).isEqualTo(bytes);
            }
            assertThat(store().stat(key)).hasValueSatisfying(info -> assertThat(info.size()).isEqualTo(held.length));
        }
    }

    @Test
    void aPutReplacesAndADeleteRemovesAndMissingObjectsSaySo() throws IOException {
        store().put("c/wal/000000010000000000000001", new ByteArrayInputStream(random(100)));
        byte[] second = random(50);
        store().put("c/wal/000000010000000000000001", new ByteArrayInputStream(second));
        try (InputStream in = store().get("c/wal/000000010000000000000001")) {
            assertThat(in.readAllBytes()).isEqualTo(second);
        }
        store().delete("c/wal/000000010000000000000001");
        store().delete("c/wal/000000010000000000000001");
        assertThat(store().stat("c/wal/000000010000000000000001")).isEmpty();
        assertThatThrownBy(() -> store().get("c/wal/000000010000000000000001")).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("c/wal/000000010000000000000001");
    }

    @Test
    void listingGivesTheKeysBelowAPrefixSorted() throws IOException {
        for (String key : new String[] {"a/wal/2", "a/wal/1", "a/BASE/x/base.tar", "b/wal/1"}) {
            store().put(key, new ByteArrayInputStream(new byte[] {1}));
        }
        assertThat(store().list("a/wal/")).containsExactly("a/wal/1", "a/wal/2");
        assertThat(store().list("a/")).containsExactly("a/BASE/x/base.tar", "a/wal/1", "a/wal/2");
        assertThat(store().list("")).hasSize(4);
        assertThat(store().list("c/")).isEmpty();
        // one level: keys directly there, deeper ones by the next part of their path, once
        assertThat(store().listLevel("")).containsExactly("a/", "b/");
        assertThat(store().listLevel("a/")).containsExactly("a/BASE/", "a/wal/");
        assertThat(store().listLevel("a/wal/")).containsExactly("a/wal/1", "a/wal/2");
        assertThat(store().listLevel("c/")).isEmpty();
        assertThatThrownBy(() -> store().listLevel("a")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCreateNeverReplacesAndOfConcurrentCreatesOneWins() throws Exception {
        assertThat(store().createsExclusively()).as("this backend honours create-if-absent").isTrue();
        for (int size : new int[] {100, multipartSize()}) {
            byte[] first = random(size);
            String key = "c/wal/00000001/000000010000000000000007." + size;
            java.util.Optional<ObjectStore.StoredObject> created = store().create(key, new ByteArrayInputStream(first));
            String held = Sha256.of(storedBytes(key));
            assertThat(created).hasValueSatisfying(stored -> assertThat(stored.sha256()).isEqualTo(held));
            assertThat(store().create(key, new ByteArrayInputStream(random(size + 1)))).as("%d bytes", size).isEmpty();
            assertThat(Sha256.of(storedBytes(key))).as("not replaced").isEqualTo(held);
            try (InputStream in = store().get(key)) {
                assertThat(in.readAllBytes()).isEqualTo(first);
            }
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<java.util.Optional<ObjectStore.StoredObject>>> tries =
                    new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                byte[] body = random(1000 + i);
                tries.add(pool.submit(() -> store().create("c/wal/00000001/race", new ByteArrayInputStream(body))));
            }
            java.util.List<ObjectStore.StoredObject> won = new java.util.ArrayList<>();
            for (var t : tries) {
                t.get().ifPresent(won::add);
            }
            assertThat(won).hasSize(1);
            assertThat(Sha256.of(storedBytes("c/wal/00000001/race"))).isEqualTo(won.get(0).sha256());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void objectsAreListedByTheTimeTheyWereWritten() throws IOException {
        store().put("c/wal/00000001/old", new ByteArrayInputStream(new byte[] {1}));
        java.time.Instant now = java.time.Instant.now();
        assertThat(store().listWrittenBefore("c/wal/", now.plusSeconds(60))).containsExactly("c/wal/00000001/old");
        assertThat(store().listWrittenBefore("c/wal/", now.minusSeconds(3600))).isEmpty();
        assertThat(store().listWrittenBefore("d/", now.plusSeconds(60))).isEmpty();
    }

    @Test
    void keysThatCouldLeaveTheRepositoryAreRefused() {
        for (String key : new String[] {"../etc/passwd", "a/../../b", "/abs", "a//b", "", "a/./b", "a/b c", "a\nb"}) {
            assertThatThrownBy(() -> store().put(key, new ByteArrayInputStream(new byte[1])))
                    .as("'%s'", key).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aPutWhoseContentFailsLeavesNothing() throws IOException {
        for (int failAt : new int[] {10, multipartSize() - 10}) {
            InputStream failing = new InputStream() {
                int read;

                @Override
                public int read() throws IOException {
                    if (read++ >= failAt) {
                        throw new IOException("the tool died");
                    }
                    return 7;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (read >= failAt) {
                        throw new IOException("the tool died");
                    }
                    int n = Math.min(len, failAt - read);
                    java.util.Arrays.fill(b, off, off + n, (byte) 7);
                    read += n;
                    return n;
                }
            };
            assertThatThrownBy(() -> store().put("c/DUMP/x/dump", failing)).hasMessageContaining("the tool died");
            assertThat(store().stat("c/DUMP/x/dump")).as("failed at %d", failAt).isEmpty();
            assertThat(store().list("")).isEmpty();
            assertThat(leftovers()).as("leftovers after failing at %d", failAt).isZero();
        }
    }

    protected static byte[] random(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }
}
