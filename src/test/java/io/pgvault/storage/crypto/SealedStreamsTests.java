package io.pgvault.storage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sealed files give back exactly what was sealed, under their own name and key only; anything else about
 * them (a changed byte, a cut, another name, another key) fails the read.
 */
class SealedStreamsTests {

    /** Tink's AES256_GCM_HKDF_1MB layout: a segment is 1 MiB of ciphertext including its 16-byte GCM tag. */
    static final int SEGMENT = 1024 * 1024;
    static final int TAG = 16;
    /** The header before the first segment: its length byte, a 32-byte salt and a 7-byte nonce prefix. */
    static final int HEADER = 1 + 32 + 7;
    static final int FIRST_SEGMENT_PLAINTEXT = SEGMENT - HEADER - TAG;
    static final int SEGMENT_PLAINTEXT = SEGMENT - TAG;

    static final String NAME = "main/BASE/20250101T000000Z/base.tar.zst";

    @TempDir
    Path dir;

    RepositoryKeys keys;
    SealedStreams sealed;

    @BeforeEach
    void keys() throws IOException {
        keys = RepositoryKeys.fromFiles(dir.resolve("a.key"), List.of());
        sealed = new SealedStreams(keys);
    }

    static byte[] random(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    static byte[] seal(SealedStreams streams, byte[] plaintext, String name) throws IOException {
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        Sealed sealed = streams.encrypt(stored, name);
        try (OutputStream out = sealed.stream()) {
            out.write(plaintext);
        }
        return stored.toByteArray();
    }

    static byte[] open(SealedStreams streams, byte[] ciphertext, String keyId, String name) throws IOException {
        try (InputStream in = streams.decrypt(new ByteArrayInputStream(ciphertext), keyId, name)) {
            return in.readAllBytes();
        }
    }

    byte[] seal(byte[] plaintext) throws IOException {
        return seal(sealed, plaintext, NAME);
    }

    byte[] open(byte[] ciphertext) throws IOException {
        return open(sealed, ciphertext, keys.currentKeyId(), NAME);
    }

    @Test
    void everySizeRoundTripsWithSixteenBytesPerSegmentAndAFortyByteHeader() throws IOException {
        int twoSegments = FIRST_SEGMENT_PLAINTEXT + SEGMENT_PLAINTEXT;
        for (int size : List.of(0, 1, 2, FIRST_SEGMENT_PLAINTEXT - 1, FIRST_SEGMENT_PLAINTEXT,
                FIRST_SEGMENT_PLAINTEXT + 1, twoSegments - 1, twoSegments, twoSegments + 1, 5 * SEGMENT + 3)) {
            byte[] plaintext = random(size);
            byte[] ciphertext = seal(plaintext);

            assertThat(open(ciphertext)).as("size %d", size).isEqualTo(plaintext);
            int segments = size <= FIRST_SEGMENT_PLAINTEXT ? 1
                    : 1 + (size - FIRST_SEGMENT_PLAINTEXT + SEGMENT_PLAINTEXT - 1) / SEGMENT_PLAINTEXT;
            assertThat(ciphertext.length).as("size %d", size).isEqualTo(size + HEADER + segments * TAG);
        }
    }

    @Test
    void sixtyFourMebibytesStreamThroughBothWaysWithoutBeingHeld() throws Exception {
        long size = 64L * 1024 * 1024 + 12345;
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        // a 64 KiB pipe between the two directions: neither side can hold more than a segment or two
        PipedInputStream stored = new PipedInputStream(64 * 1024);
        PipedOutputStream storing = new PipedOutputStream(stored);
        Sealed sealing = sealed.encrypt(storing, NAME);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (OutputStream out = new DigestOutputStream(sealing.stream(), written)) {
                Random random = new Random(7);
                byte[] chunk = new byte[100_000];
                for (long left = size; left > 0; left -= chunk.length) {
                    random.nextBytes(chunk);
                    out.write(chunk, 0, (int) Math.min(chunk.length, left));
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        long count = 0;
        try (InputStream in = sealed.decrypt(stored, sealing.keyId(), NAME)) {
            byte[] buffer = new byte[77_777];
            for (int n; (n = in.read(buffer)) != -1; count += n) {
                read.update(buffer, 0, n);
            }
        }
        writer.get();
        assertThat(count).isEqualTo(size);
        assertThat(read.digest()).isEqualTo(written.digest());
    }

    @Test
    void closingTheSealedStreamClosesTheStoredStream() throws IOException {
        AtomicBoolean closed = new AtomicBoolean();
        OutputStream store = new FilterOutputStream(new ByteArrayOutputStream()) {
            @Override
            public void close() {
                closed.set(true);
            }
        };
        Sealed sealing = sealed.encrypt(store, NAME);
        assertThat(sealing.keyId()).isEqualTo(keys.currentKeyId());
        sealing.stream().write(1);
        assertThat(closed).isFalse();
        sealing.stream().close();
        assertThat(closed).isTrue();
    }

    @Test
    void aFlippedByteAnywhereFailsTheRead() throws IOException {
        byte[] ciphertext = seal(random(3 * SEGMENT));
        for (int at : List.of(0, 5, HEADER, ciphertext.length / 2, SEGMENT - 1, ciphertext.length - 1)) {
            byte[] changed = ciphertext.clone();
            changed[at] ^= 0x01;
            assertThatThrownBy(() -> open(changed)).as("byte %d", at)
                    .isInstanceOf(AuthenticationFailedException.class)
                    .hasMessageContaining("authentication failed");
        }
    }

    @Test
    void aCutOrLengthenedFileFailsTheRead() throws IOException {
        byte[] ciphertext = seal(random(3 * SEGMENT));
        for (int length : List.of(0, 10, HEADER, SEGMENT, 2 * SEGMENT, ciphertext.length - 1)) {
            byte[] cut = Arrays.copyOf(ciphertext, length);
            assertThatThrownBy(() -> open(cut)).as("cut to %d", length)
                    .isInstanceOf(AuthenticationFailedException.class);
        }
        byte[] lengthened = Arrays.copyOf(ciphertext, ciphertext.length + 1);
        assertThatThrownBy(() -> open(lengthened)).isInstanceOf(AuthenticationFailedException.class);
        byte[] empty = seal(new byte[0]);
        assertThatThrownBy(() -> open(Arrays.copyOf(empty, empty.length - 1)))
                .isInstanceOf(AuthenticationFailedException.class);
    }

    @Test
    void aFileReadUnderAnotherNameFails() throws IOException {
        byte[] ciphertext = seal(random(1000));
        assertThatThrownBy(() -> open(sealed, ciphertext, keys.currentKeyId(), NAME.replace("base", "other")))
                .isInstanceOf(AuthenticationFailedException.class);
        assertThatThrownBy(() -> sealed.encrypt(new ByteArrayOutputStream(), ""))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFileReadWithAnotherKeyFails() throws IOException {
        byte[] ciphertext = seal(random(1000));
        RepositoryKeys other = RepositoryKeys.fromFiles(dir.resolve("b.key"), List.of());
        assertThatThrownBy(() -> open(new SealedStreams(other), ciphertext, other.currentKeyId(), NAME))
                .isInstanceOf(AuthenticationFailedException.class);
    }

    @Test
    void oldFilesStillDecryptAfterARotationUntilTheirKeyIsDropped() throws IOException {
        byte[] plaintext = random(2 * SEGMENT);
        byte[] sealedWithA = seal(plaintext);
        String a = keys.currentKeyId();

        RepositoryKeys rotated = RepositoryKeys.fromFiles(dir.resolve("b.key"), List.of(dir.resolve("a.key")));
        SealedStreams afterRotation = new SealedStreams(rotated);
        String b = rotated.currentKeyId();
        assertThat(b).isNotEqualTo(a);
        assertThat(open(afterRotation, sealedWithA, a, NAME)).isEqualTo(plaintext);
        Sealed next = afterRotation.encrypt(new ByteArrayOutputStream(), NAME);
        assertThat(next.keyId()).isEqualTo(b);

        SealedStreams withoutA = new SealedStreams(RepositoryKeys.fromFiles(dir.resolve("b.key"), List.of()));
        assertThatThrownBy(() -> open(withoutA, sealedWithA, a, NAME))
                .isInstanceOf(MissingKeyException.class)
                .hasMessageContaining("no key with id " + a)
                .hasMessageContaining("encryption-old-key-files")
                .satisfies(e -> assertThat(((MissingKeyException) e).keyId()).isEqualTo(a));
    }

    @Test
    void aFailureOfTheStoredBytesPassesThroughAsItself() throws IOException {
        byte[] ciphertext = seal(random(3 * SEGMENT));
        for (int failAt : List.of(100, 2 * SEGMENT + 100)) {
            IOException network = new IOException("connection reset");
            InputStream throwing = new FilterInputStream(new ByteArrayInputStream(ciphertext)) {
                long position;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (position + len > failAt) {
                        throw network;
                    }
                    int n = super.read(b, off, len);
                    position += Math.max(n, 0);
                    return n;
                }
            };
            assertThatThrownBy(() -> {
                try (InputStream in = sealed.decrypt(throwing, keys.currentKeyId(), NAME)) {
                    in.readAllBytes();
                }
            }).as("failing at %d", failAt).isSameAs(network);
        }
    }
}
