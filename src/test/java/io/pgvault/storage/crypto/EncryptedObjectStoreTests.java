package io.pgvault.storage.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.storage.ObjectStore;
import io.pgvault.storage.ObjectStoreContract;
import io.pgvault.storage.local.LocalObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store contract through the encryption decorator: an encrypted repository keeps every promise a plain one
 * does (all-or-nothing puts, exclusive creates, keys, listing), while its backend only ever holds ciphertext.
 */
class EncryptedObjectStoreTests extends ObjectStoreContract {

    @TempDir
    Path home;
    LocalObjectStore backend;
    EncryptedObjectStore store;

    @BeforeEach
    void open() throws IOException {
        backend = new LocalObjectStore(Files.createDirectory(home.resolve("repository")));
        store = new EncryptedObjectStore(backend, RepositoryKeys.fromFiles(home.resolve("repository.key"), List.of()));
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
        try (Stream<Path> files = Files.walk(home.resolve("repository"))) {
            return (int) files.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().endsWith(".part"))
                    .count();
        }
    }

    @Override
    protected byte[] storedBytes(String key) throws IOException {
        try (InputStream in = backend.get(key)) {
            return in.readAllBytes();
        }
    }

    @Test
    void theBackendHoldsOnlyCiphertextUnderAHeaderThatNamesTheKey() throws IOException {
        byte[] plain = "row of the orders table\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
        store.put("c/DUMP/x/dump.sql", new ByteArrayInputStream(plain));
        String held = new String(storedBytes("c/DUMP/x/dump.sql"), StandardCharsets.ISO_8859_1);
        assertThat(held).startsWith("pgvault-aead-1 " + store.currentKeyId() + "\n").doesNotContain("orders");
        assertThat(store.keyIdOf("c/DUMP/x/dump.sql")).isEqualTo(store.currentKeyId());
    }
}
