package io.pgvault.storage;

import io.pgvault.storage.codec.Codec;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import java.io.IOException;
import java.io.InputStream;

/**
 * One stored object of an encrypted repository written again under the repository's current key, beside the old
 * one: the old object is decrypted as it is read and encrypted anew as it is written, under a new key, and the new
 * object is read back and its plaintext (decoded with the catalog's codec) compared with the catalog's size and
 * SHA-256 before the caller may switch the catalog to it. Nothing here replaces or deletes the old object: an
 * object key is never written twice, so whatever fails, the object the catalog points at stays whole, and the
 * caller deletes the old one only after its catalog switch committed.
 *
 * <p>Re-encryption concerns encrypted repositories only, which are always written through their
 * {@link ObjectStore} (never in place like the workspace's own repository), so the object keys are those of
 * {@link RepositoryStorage}'s layout, made here and nowhere else outside storage.
 */
@org.springframework.stereotype.Component
public class ObjectRewrite {

    private final Repositories repositories;

    ObjectRewrite(Repositories repositories) {
        this.repositories = repositories;
    }

    /** The object written: its key, stored size and SHA-256 (ciphertext), the key id it is encrypted with. */
    public record Rewritten(String key, long storedSize, String storedSha256, String keyId) {
    }

    /** The key of a backup file (or a copy's) at a location: {@code {location}/{path}}. */
    public static String backupKey(String location, String path) {
        return ObjectKeys.check(location + "/" + path);
    }

    /** The key of a stored WAL file: {@code {cluster}/wal/{timeline}/{storedName}}. */
    public static String walKey(String cluster, String timeline, String storedName) {
        if (!timeline.matches("^[0-9A-F]{8}$")) {
            throw new IllegalArgumentException("not a WAL timeline: " + timeline);
        }
        return ObjectKeys.check(ObjectKeys.checkedCluster(cluster) + "/wal/" + timeline + "/" + storedName);
    }

    /** Whether the repository is configured and encrypted. */
    public boolean encrypted(String repository) {
        return repositories.configured(repository).map(r -> r.store() instanceof EncryptedObjectStore).orElse(false);
    }

    /** The id of the key the repository encrypts new objects with (null while it refuses to write). */
    public String currentKeyId(String repository) {
        return store(repository).currentKeyId();
    }

    /** The key id in an object's first line, read without a key (one short read of the object). */
    public String keyIdOf(String repository, String key) throws IOException {
        return store(repository).keyIdOf(key);
    }

    /**
     * Writes the plaintext of {@code from} to {@code to} under the current key, reads {@code to} back and checks
     * that its plaintext, decoded with {@code codec}, has {@code size} bytes and SHA-256 {@code sha256}. A check
     * that fails removes {@code to} (nothing points at it) and throws, naming both.
     */
    public Rewritten rewrite(String repository, String from, String to, Codec codec, long size, String sha256)
            throws IOException {
        EncryptedObjectStore store = store(repository);
        String before = store.currentKeyId();
        ObjectStore.StoredObject stored;
        try (InputStream in = store.get(from)) {
            stored = store.put(to, in);
        }
        // the key current when the put began; asked of the object itself when a rotation happened meanwhile
        String keyId = before != null && before.equals(store.currentKeyId()) ? before : store.keyIdOf(to);
        long[] read = new long[1];
        String readSha;
        try (InputStream in = codec.decode(store.get(to))) {
            readSha = Sha256.of(in, read);
        }
        if (read[0] != size || !readSha.equals(sha256)) {
            store.delete(to);
            throw new IOException(to + " reads back from repository '" + repository + "' with " + read[0]
                    + " bytes, SHA-256 " + readSha + "; the catalog says " + size + " bytes, " + sha256 + " for "
                    + from + " (damaged before? verify it); the new object is removed, " + from + " is kept");
        }
        return new Rewritten(to, stored.size(), stored.sha256(), keyId);
    }

    /**
     * Writes an object again under the current key with its own name (a block store's object, named by its content,
     * which manifests refer to by name): its plaintext, at most {@code maxBytes}, is read whole and authenticated by
     * its old key and, decoded with {@code codec}, by the codec's own check (zstd's frame checksum); then it is put
     * under the same key, which replaces the object in one step (local: a rename; S3: a PUT), never leaving it absent
     * or partial, and read back and compared with the plaintext held. A read-back that differs is written once more
     * from that plaintext, then fails naming the object. Empty when the object is gone (a sweep removed it).
     */
    public java.util.Optional<Rewritten> rewriteInPlace(String repository, String key, Codec codec, int maxBytes)
            throws IOException {
        EncryptedObjectStore store = store(repository);
        byte[] plain;
        try (InputStream in = store.get(key)) {
            plain = in.readNBytes(maxBytes + 1);
        } catch (java.nio.file.NoSuchFileException e) {
            return java.util.Optional.empty();
        }
        if (plain.length > maxBytes) {
            throw new IOException(key + " in repository '" + repository + "' holds more than " + maxBytes
                    + " bytes: not rewritten in place");
        }
        try (InputStream in = codec.decode(new java.io.ByteArrayInputStream(plain))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        for (int attempt = 1; ; attempt++) {
            String before = store.currentKeyId();
            ObjectStore.StoredObject stored = store.put(key, new java.io.ByteArrayInputStream(plain));
            String keyId = before != null && before.equals(store.currentKeyId()) ? before : store.keyIdOf(key);
            byte[] read;
            try (InputStream in = store.get(key)) {
                read = in.readNBytes(maxBytes + 1);
            }
            if (java.util.Arrays.equals(read, plain)) {
                return java.util.Optional.of(new Rewritten(key, stored.size(), stored.sha256(), keyId));
            }
            if (attempt == 2) {
                throw new IOException(key + " in repository '" + repository + "' reads back with other bytes than "
                        + "were written, twice: the store damages what it stores (verify the backups using it)");
            }
        }
    }

    /** The keys of the repository's objects that begin with {@code prefix}, sorted. */
    public java.util.List<String> list(String repository, String prefix) throws IOException {
        return store(repository).list(ObjectKeys.checkPrefix(prefix));
    }

    /** Removes one object; a missing one is no error. */
    public void delete(String repository, String key) throws IOException {
        store(repository).delete(key);
    }

    /** Removes every object below {@code location/}: a generation that nothing points at. */
    public void deleteAll(String repository, String location) throws IOException {
        EncryptedObjectStore store = store(repository);
        for (String key : store.list(ObjectKeys.checkPrefix(location + "/"))) {
            store.delete(key);
        }
    }

    private EncryptedObjectStore store(String repository) {
        return repositories.configured(repository).map(Repositories.Repository::store)
                .filter(EncryptedObjectStore.class::isInstance).map(EncryptedObjectStore.class::cast)
                .orElseThrow(() -> new IllegalStateException("repository '" + repository
                        + "' is not a configured encrypted repository"));
    }
}
