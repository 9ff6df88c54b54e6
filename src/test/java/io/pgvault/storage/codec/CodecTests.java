package io.pgvault.storage.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Each codec gives back what it was given; zstd shrinks WAL-like bytes and refuses damaged ones. */
class CodecTests {

    /** 16 MiB like a WAL segment: page-sized runs of records with repeated structure, zeros at the end. */
    private static byte[] walLike() {
        byte[] bytes = new byte[16 * 1024 * 1024];
        Random random = new Random(42);
        for (int offset = 0; offset < bytes.length * 3 / 4; offset += 64) {
            byte[] record = ("tuple " + random.nextInt(1000) + " balance " + random.nextInt()).getBytes();
            System.arraycopy(record, 0, bytes, offset, Math.min(record.length, 64));
        }
        return bytes;
    }

    private static byte[] encode(Codec codec, byte[] original) throws IOException {
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        try (OutputStream out = codec.encode(stored, 3)) {
            out.write(original);
        }
        return stored.toByteArray();
    }

    @Test
    void everyCodecRoundTrips() throws IOException {
        byte[] original = walLike();
        for (Codec codec : Codec.values()) {
            byte[] stored = encode(codec, original);
            try (InputStream in = codec.decode(new ByteArrayInputStream(stored))) {
                assertThat(in.readAllBytes()).as(codec.name()).isEqualTo(original);
            }
        }
        assertThat(encode(Codec.NONE, original)).isEqualTo(original);
        assertThat(encode(Codec.ZSTD, original).length).isLessThan(original.length / 4);
    }

    @Test
    void zstdRefusesADamagedFile() throws IOException {
        byte[] stored = encode(Codec.ZSTD, walLike());
        stored[stored.length / 2] ^= 0x40;
        assertThatThrownBy(() -> {
            try (InputStream in = Codec.ZSTD.decode(new ByteArrayInputStream(stored))) {
                in.readAllBytes();
            }
        }).isInstanceOf(IOException.class);
        byte[] truncated = Arrays.copyOf(encode(Codec.ZSTD, walLike()), 1000);
        assertThatThrownBy(() -> {
            try (InputStream in = Codec.ZSTD.decode(new ByteArrayInputStream(truncated))) {
                in.readAllBytes();
            }
        }).isInstanceOf(IOException.class);
    }

    @Test
    void filesFromBeforeCodecsReadAsIs() throws IOException {
        assertThat(Codec.recorded(null)).isEqualTo(Codec.NONE);
        assertThat(Codec.recorded("ZSTD")).isEqualTo(Codec.ZSTD);
        // unrecorded files: a WAL page header (magic 0xD1xx) or text is as is, a zstd frame is zstd
        byte[] segment = walLike();
        segment[0] = 0x10;
        segment[1] = (byte) 0xD1;
        for (Codec codec : Codec.values()) {
            BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(encode(codec, segment)));
            assertThat(Codec.detect(in)).isEqualTo(codec);
            assertThat(Codec.detect(in).decode(in).readAllBytes()).isEqualTo(segment);
        }
        BufferedInputStream history = new BufferedInputStream(new ByteArrayInputStream("1\t0/3000000\tno recovery target\n".getBytes()));
        assertThat(Codec.detect(history)).isEqualTo(Codec.NONE);
        assertThat(Codec.detect(new BufferedInputStream(new ByteArrayInputStream(new byte[0])))).isEqualTo(Codec.NONE);
    }
}
