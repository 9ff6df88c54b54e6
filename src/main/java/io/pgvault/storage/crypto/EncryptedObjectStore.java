package io.pgvault.storage.crypto;

import io.pgvault.storage.ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A repository with {@code encryption: aes-256-gcm}: every object is encrypted on its way to the backend and
 * decrypted on its way back, streaming, with {@link SealedStreams}. The backend only ever sees ciphertext.
 *
 * <p>An object starts with one plain line, {@code pgvault-aead-1 <keyId>}, and then Tink's ciphertext, whose
 * associated data is the object's key: reading picks exactly the key that wrote it (the catalog records the
 * same id per file), and an object copied to another key does not decrypt. {@link #raw} reads and lists the
 * stored bytes as they are, for checksums that need no key.
 */
public final class EncryptedObjectStore implements ObjectStore {

    private static final String MAGIC = "pgvault-aead-1 ";
    private static final Pattern KEY_ID = Pattern.compile("[0-9a-f]{8}");

    private final ObjectStore backend;
    private final SealedStreams streams;
    private final RepositoryKeys keys;

    public EncryptedObjectStore(ObjectStore backend, RepositoryKeys keys) {
        this.backend = backend;
        this.keys = keys;
        this.streams = new SealedStreams(keys);
    }

    /** The backend, which stores and returns the encrypted bytes as they are. */
    public ObjectStore raw() {
        return backend;
    }

    /** The id of the key new objects are encrypted with (null while writing is refused for want of one). */
    public String currentKeyId() {
        return keys.currentKeyId();
    }

    /** The repository's keys: which there are, rotation, and whether writing is refused. */
    public RepositoryKeys keys() {
        return keys;
    }

    /** Stores {@code content} encrypted; the answer's size and SHA-256 are those of the stored ciphertext. */
    @Override
    public StoredObject put(String key, InputStream content) throws IOException {
        return backend.put(key, new EncryptingInputStream(content, key));
    }

    @Override
    public Optional<StoredObject> create(String key, InputStream content) throws IOException {
        return backend.create(key, new EncryptingInputStream(content, key));
    }

    @Override
    public Optional<StoredObject> createNameSyncedLater(String key, InputStream content) throws IOException {
        return backend.createNameSyncedLater(key, new EncryptingInputStream(content, key));
    }

    @Override
    public boolean createsExclusively() throws IOException {
        return backend.createsExclusively();
    }

    @Override
    public List<String> listWrittenBefore(String prefix, java.time.Instant before) throws IOException {
        return backend.listWrittenBefore(prefix, before);
    }

    @Override
    public InputStream get(String key) throws IOException {
        InputStream stored = backend.get(key);
        try {
            String keyId = header(stored, key);
            return new NamingFailures(streams.decrypt(stored, keyId, key), key);
        } catch (MissingKeyException e) {
            stored.close();
            throw new IOException(key + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            stored.close();
            throw e;
        }
    }

    /** The id of the key an object was encrypted with, from its first line. */
    public String keyIdOf(String key) throws IOException {
        try (InputStream stored = backend.get(key)) {
            return header(stored, key);
        }
    }

    /** The key id in an object's first line, which {@code stored} starts at. */
    static String header(InputStream stored, String key) throws IOException {
        byte[] line = stored.readNBytes(MAGIC.length() + 9);
        String text = new String(line, StandardCharsets.US_ASCII);
        if (line.length != MAGIC.length() + 9 || !text.startsWith(MAGIC) || text.charAt(text.length() - 1) != '\n'
                || !KEY_ID.matcher(text.substring(MAGIC.length(), text.length() - 1)).matches()) {
            throw new IOException(key + " is not an object pgvault encrypted (its first line is not \""
                    + MAGIC.trim() + " <key id>\"): it was written unencrypted, or replaced");
        }
        return text.substring(MAGIC.length(), text.length() - 1);
    }

    @Override
    public Optional<ObjectInfo> statToReference(String key) throws IOException {
        return backend.statToReference(key);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return backend.stat(key);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return backend.list(prefix);
    }

    @Override
    public List<String> listLevel(String prefix) throws IOException {
        return backend.listLevel(prefix);
    }

    @Override
    public void delete(String key) throws IOException {
        backend.delete(key);
    }

    @Override
    public int sweepIncomplete(long olderThanSeconds) throws IOException {
        return backend.sweepIncomplete(olderThanSeconds);
    }

    @Override
    public String describe() {
        return backend.describe() + ", encrypted (aes-256-gcm)";
    }

    /**
     * The ciphertext of a plaintext stream, made as it is read, in one thread: each read encrypts the next piece of
     * plaintext into a small buffer, and the end of the plaintext writes Tink's last segment.
     */
    private final class EncryptingInputStream extends InputStream {

        private final InputStream plain;
        private final Buffer buffer = new Buffer();
        private final OutputStream sealed;
        private final byte[] chunk = new byte[64 * 1024];
        private int position;
        private boolean finished;

        EncryptingInputStream(InputStream plain, String key) throws IOException {
            this.plain = plain;
            // one key for the header and the ciphertext, even when a rotation happens meanwhile
            RepositoryKey current = keys.current();
            buffer.write((MAGIC + current.id() + "\n").getBytes(StandardCharsets.US_ASCII));
            this.sealed = streams.encrypt(buffer, key, current).stream();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (position >= buffer.size()) {
                if (finished) {
                    return -1;
                }
                buffer.reset();
                position = 0;
                int n = plain.read(chunk);
                if (n < 0) {
                    sealed.close();
                    finished = true;
                } else {
                    sealed.write(chunk, 0, n);
                }
            }
            int n = Math.min(len, buffer.size() - position);
            System.arraycopy(buffer.bytes(), position, b, off, n);
            position += n;
            return n;
        }

        @Override
        public void close() throws IOException {
            plain.close();
        }
    }

    /** A byte buffer whose array can be read without a copy. */
    private static final class Buffer extends ByteArrayOutputStream {
        byte[] bytes() {
            return buf;
        }

        @Override
        public void close() {
            // Tink closes the stream it writes to when it is done; the buffer is read after that
        }
    }

    /** Decrypted bytes whose failures name the object. */
    private static final class NamingFailures extends java.io.FilterInputStream {
        private final String key;

        NamingFailures(InputStream in, String key) {
            super(in);
            this.key = key;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (AuthenticationFailedException e) {
                throw new IOException(key + ": " + e.getMessage(), e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (AuthenticationFailedException e) {
                throw new IOException(key + ": " + e.getMessage(), e);
            }
        }
    }
}
