package io.pgvault.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A tool's stream going to an object store whose upload fails midway: the writer's write and its close (one
 * try-with-resources, as the backup runner writes) both report it, and the tool's caller sees the store's own
 * error, not Java's "Self-suppression not permitted".
 */
class StreamedUploadTests {

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    @Test
    void anUploadThatFailsMidwayFailsTheWriterWithTheStoresError() {
        StreamedUpload upload = new StreamedUpload(new FailingStore(), "c/DUMP/1/dump.sql", threads);
        Throwable thrown = catchThrowable(() -> {
            try (OutputStream out = upload.writer()) {
                byte[] chunk = new byte[256 * 1024];
                for (int i = 0; i < 1000; i++) {
                    out.write(chunk);
                }
            }
        });
        assertThat(thrown).isInstanceOf(IOException.class).hasMessageContaining("c/DUMP/1/dump.sql")
                .hasMessageContaining("S3 answered 503 SlowDown");
        assertThat(thrown.getSuppressed()).allSatisfy(s -> assertThat(s).isNotSameAs(thrown));
    }

    /** Reads a little of what it is given, then fails as a bucket that sheds load does. */
    private static final class FailingStore implements ObjectStore {
        @Override
        public StoredObject put(String key, InputStream content) throws IOException {
            content.readNBytes(1024 * 1024);
            throw new IOException("could not store '" + key + "': S3 answered 503 SlowDown");
        }

        @Override
        public InputStream get(String key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<ObjectInfo> stat(String key) {
            return Optional.empty();
        }

        @Override
        public List<String> list(String prefix) {
            return List.of();
        }

        @Override
        public void delete(String key) {
        }

        @Override
        public int sweepIncomplete(long olderThanSeconds) {
            return 0;
        }

        @Override
        public String describe() {
            return "a failing store";
        }
    }
}
