package io.pgvault.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.storage.ObjectStore;
import io.pgvault.storage.ObjectStoreContract;
import io.pgvault.testing.Relay;
import io.pgvault.testing.S3Server;
import java.io.IOException;
import java.io.InputStream;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The store contract against a real S3 server (S3Proxy), and what only a network can do to an upload. */
class S3ObjectStoreTests extends ObjectStoreContract {

    static S3Server s3;
    S3ObjectStore store;
    String prefix;

    @BeforeAll
    static void start() {
        s3 = S3Server.start("pgvault-contract");
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    @BeforeEach
    void open() {
        // a prefix per test: the bucket is shared, each test sees an empty store
        prefix = "repo-" + UUID.randomUUID();
        store = new S3ObjectStore(settings(s3.endpoint()));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Override
    protected ObjectStore store() {
        return store;
    }

    @Override
    protected int multipartSize() {
        return 2 * S3Settings.MIN_PART_SIZE + 17;
    }

    @Override
    protected int leftovers() {
        return (int) s3.incompleteUploads().stream().filter(u -> u.startsWith(prefix + "/")).count();
    }

    @Test
    void anUploadCutOffMidwayLeavesNoObjectAndTheSweepAbortsItsParts() throws IOException {
        try (Relay relay = new Relay(s3.port()); S3ObjectStore flaky = new S3ObjectStore(
                settings("http://127.0.0.1:" + relay.port()))) {
            InputStream content = new InputStream() {
                long sent;

                @Override
                public int read() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    if (sent >= 3L * S3Settings.MIN_PART_SIZE) {
                        relay.cut(); // the network goes while the third part is being read
                    }
                    int n = (int) Math.min(len, 64 * 1024);
                    sent += n;
                    return n;
                }
            };
            assertThatThrownBy(() -> flaky.put("c/BASE/cut/base.tar.zst", content)).isInstanceOf(IOException.class)
                    .hasMessageContaining("c/BASE/cut/base.tar.zst").hasMessageNotContaining(S3Server.SECRET_KEY);
            assertThat(store.stat("c/BASE/cut/base.tar.zst")).isEmpty();
            assertThat(leftovers()).as("the abort could not reach the server either").isEqualTo(1);
            relay.restore();
            // the store tries the abort again in the background; a sweep removes what is left either way
            assertThat(flaky.sweepIncomplete(0)).isBetween(0, 1);
            assertThat(leftovers()).isZero();
        }
    }

    /** Retries happen per request in the S3 client (not around operations): a 503 is sent again, on a new connection. */
    @Test
    void aRequestAnswered503IsSentAgainByTheClientUpToItsAttempts() throws IOException {
        store.put("c/DUMP/retry/db.dump", new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}));
        try (Relay relay = new Relay(s3.port()); S3ObjectStore flaky = new S3ObjectStore(
                settings("http://127.0.0.1:" + relay.port(), java.time.Duration.ofSeconds(30), 3))) {
            relay.answer503Next(2);
            try (InputStream in = flaky.get("c/DUMP/retry/db.dump")) {
                assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
            }
            assertThat(relay.accepted()).as("two refused attempts, then the one that read").isEqualTo(3);

        }
        try (Relay relay = new Relay(s3.port()); S3ObjectStore flaky = new S3ObjectStore(
                settings("http://127.0.0.1:" + relay.port(), java.time.Duration.ofSeconds(30), 3))) {
            relay.answer503Next(5);
            int before = relay.accepted();
            assertThatThrownBy(() -> flaky.stat("c/DUMP/retry/db.dump")).isInstanceOf(IOException.class)
                    .hasMessageContaining("c/DUMP/retry/db.dump").hasMessageContaining("503")
                    .hasMessageNotContaining(S3Server.SECRET_KEY);
            assertThat(relay.accepted() - before).as("attempts bound how often one request is sent").isEqualTo(3);
            relay.answer503Next(0);
        }
    }

    /** A bucket that stops answering fails the request after the read timeout, instead of holding its caller. */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aHangingBucketFailsTheRequestAfterTheReadTimeout() throws IOException {
        store.put("c/DUMP/hang/db.dump", new java.io.ByteArrayInputStream(new byte[] {4}));
        try (Relay relay = new Relay(s3.port()); S3ObjectStore flaky = new S3ObjectStore(
                settings("http://127.0.0.1:" + relay.port(), java.time.Duration.ofSeconds(1), 2))) {
            relay.hang(true);
            assertThatThrownBy(() -> flaky.stat("c/DUMP/hang/db.dump")).isInstanceOf(IOException.class)
                    .hasMessageContaining("c/DUMP/hang/db.dump").hasMessageContaining("timed out");
            assertThat(relay.accepted()).as("each attempt on its own connection").isEqualTo(2);
            relay.hang(false);
            assertThat(flaky.stat("c/DUMP/hang/db.dump")).map(ObjectStore.ObjectInfo::size).contains(1L);
        }
    }

    @Test
    void describingTheStoreNeverShowsTheSecret() {
        assertThat(store.describe()).contains("pgvault-contract").doesNotContain(S3Server.SECRET_KEY);
        assertThat(settings(s3.endpoint()).toString()).doesNotContain(S3Server.SECRET_KEY);
    }

    private S3Settings settings(String endpoint, java.time.Duration readTimeout, int attempts) {
        return new S3Settings(endpoint, "us-east-1", s3.bucket(), prefix, true, S3Server.ACCESS_KEY,
                S3Server.SECRET_KEY, S3Settings.MIN_PART_SIZE, java.time.Duration.ofSeconds(5), readTimeout, attempts);
    }

    private S3Settings settings(String endpoint) {
        return new S3Settings(endpoint, "us-east-1", s3.bucket(), prefix, true, S3Server.ACCESS_KEY,
                S3Server.SECRET_KEY, S3Settings.MIN_PART_SIZE);
    }
}
