package io.pgvault.storage.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.storage.ObjectStore;
import io.pgvault.storage.ObjectStoreContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalObjectStoreTests extends ObjectStoreContract {

    @TempDir
    Path root;
    LocalObjectStore store;

    @BeforeEach
    void open() {
        store = new LocalObjectStore(root);
    }

    @Override
    protected ObjectStore store() {
        return store;
    }

    @Override
    protected int multipartSize() {
        return 3 * 1024 * 1024 + 17;
    }

    @Override
    protected int leftovers() throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return (int) files.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().endsWith(".part"))
                    .count();
        }
    }

    @Test
    void aCrashedPutsTemporaryFileIsNotListedAndTheSweepRemovesItOnceOld() throws IOException {
        Path part = Files.createDirectories(root.resolve("c/wal")).resolve(".000000010000000000000001.x.part");
        Files.write(part, new byte[10]);
        assertThat(store.list("")).isEmpty();
        assertThat(store.sweepIncomplete(3600)).as("young: a put may still be writing it").isZero();
        Files.setLastModifiedTime(part, FileTime.from(Instant.now().minusSeconds(7200)));
        assertThat(store.sweepIncomplete(3600)).isEqualTo(1);
        assertThat(part).doesNotExist();
    }
}
