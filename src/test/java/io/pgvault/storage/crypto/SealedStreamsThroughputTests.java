package io.pgvault.storage.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * How fast sealing and opening go, and what they cost in bytes, for 256 MiB; a measurement, not a check,
 * so it runs only when asked for:
 * {@code ./mvnw test -Dtest=SealedStreamsThroughputTests -Dpgvault.crypto.benchmark=true -DargLine=-Xmx64m}
 * (the small heap shows that neither direction holds the file).
 */
@EnabledIfSystemProperty(named = "pgvault.crypto.benchmark", matches = "true")
class SealedStreamsThroughputTests {

    private static final long SIZE = 256L * 1024 * 1024;
    private static final String NAME = "main/BASE/20250101T000000Z/base.tar.zst";

    @TempDir
    Path dir;

    /** Counts what it is given and keeps none of it. */
    private static final class Sink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }

    private static void writePlaintext(OutputStream out, long size) throws IOException {
        byte[] block = new byte[1024 * 1024];
        new Random(1).nextBytes(block);
        for (long left = size; left > 0; left -= block.length) {
            out.write(block, 0, (int) Math.min(block.length, left));
        }
    }

    private static double mbPerSecond(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }

    @Test
    void sealsAndOpensAQuarterGibibyte() throws IOException {
        SealedStreams sealed = new SealedStreams(RepositoryKeys.fromFiles(dir.resolve("a.key"), List.of()));
        Path stored = dir.resolve("stored");
        Sealed toFile = sealed.encrypt(new BufferedOutputStream(Files.newOutputStream(stored), 1 << 16), NAME);
        try (OutputStream out = toFile.stream()) {
            writePlaintext(out, SIZE);
        }
        long overheadPerMiB = (Files.size(stored) - SIZE) * 1024 * 1024 / SIZE;
        System.out.printf("ciphertext of %d bytes: %d bytes, %d bytes more per MiB%n",
                SIZE, Files.size(stored), overheadPerMiB);

        for (int run = 0; run < 4; run++) {
            Sink sink = new Sink();
            long start = System.nanoTime();
            try (OutputStream out = sealed.encrypt(sink, NAME).stream()) {
                writePlaintext(out, SIZE);
            }
            long encrypt = System.nanoTime() - start;

            start = System.nanoTime();
            long read = 0;
            try (InputStream in = sealed.decrypt(
                    new BufferedInputStream(Files.newInputStream(stored), 1 << 16), toFile.keyId(), NAME)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) != -1; ) {
                    read += n;
                }
            }
            long decrypt = System.nanoTime() - start;
            assertThat(read).isEqualTo(SIZE);
            System.out.printf("run %d: encrypt %.0f MB/s, decrypt %.0f MB/s (heap max %d MiB)%n", run,
                    mbPerSecond(SIZE, encrypt), mbPerSecond(SIZE, decrypt), Runtime.getRuntime().maxMemory() >> 20);
        }
    }
}
