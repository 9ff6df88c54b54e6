package io.pgvault.blocks;

import com.github.luben.zstd.ZstdCompressCtx;
import io.pgvault.storage.ObjectStore;
import io.pgvault.storage.codec.Codec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The blocks of one repository: content-addressed, each stored once under {@code .blocks/ab/abcdef...},
 * zstd-compressed (a frame with its own checksum), written with create-if-absent so that two backups storing
 * the same block concurrently both succeed and one copy remains. The repository's own store does the rest: an
 * encrypted repository's {@link ObjectStore} decorator encrypts every block like any other object.
 *
 * <p>A block's key is the SHA-256 of its plain bytes; in an encrypted repository it is HMAC-SHA-256 under a
 * key of the repository's own ({@code .blocks/hmac-key}, 32 random bytes created once and stored, encrypted, in
 * the repository itself), so the names of stored objects say nothing about their content to whoever can list
 * the bucket (a plain SHA-256 of a well-known file would). Keys are computed by whoever reads a file
 * ({@link Hasher}), so a delta restore compares blocks on disk with a manifest without fetching anything.
 */
public final class BlockStore {

    /** Where blocks live in a repository; cluster names are slugs and never start with a dot. */
    public static final String PREFIX = ".blocks/";
    private static final String HMAC_KEY = PREFIX + "hmac-key";
    private static final int LEVEL = 3;

    private static final ThreadLocal<ZstdCompressCtx> COMPRESSOR = ThreadLocal.withInitial(() -> {
        ZstdCompressCtx ctx = new ZstdCompressCtx();
        ctx.setLevel(LEVEL);
        ctx.setChecksum(true);
        return ctx;
    });

    private final ObjectStore store;
    private final byte[] hmacKey;
    private final KeyWatch keys;

    private BlockStore(ObjectStore store, byte[] hmacKey, KeyWatch keys) {
        this.store = store;
        this.hmacKey = hmacKey;
        this.keys = keys;
    }

    /**
     * Told which key an encrypted repository writes a block-store object under, before the write and again after it
     * when a rotation changed the current key meanwhile, so that the catalog knows which keys the block store may
     * hold (the catalog lists no block; a key must not go while one needs it).
     */
    public interface KeyWatch {
        /** Needs nothing noted: an unencrypted repository, or a test. */
        KeyWatch NONE = new KeyWatch() {
            @Override
            public String current() {
                return null;
            }

            @Override
            public void writing(String keyId, boolean always) {
            }
        };

        /** The key the repository encrypts new objects with (null: none, or unencrypted). */
        String current();

        /** A write under {@code keyId} is about to happen; {@code always}: note it even if noted before. */
        void writing(String keyId, boolean always);
    }

    /**
     * The block store of a repository; {@code keyed}: the repository is encrypted, so block names are keyed
     * hashes (the key is read from the repository, or created there on first use).
     */
    public static BlockStore of(ObjectStore store, boolean keyed) throws IOException {
        return of(store, keyed, KeyWatch.NONE);
    }

    /** As {@link #of(ObjectStore, boolean)}, telling {@code keys} under which key each object is written. */
    public static BlockStore of(ObjectStore store, boolean keyed, KeyWatch keys) throws IOException {
        return new BlockStore(store, keyed ? hmacKey(store, keys) : null, keys);
    }

    private static byte[] hmacKey(ObjectStore store, KeyWatch keys) throws IOException {
        if (store.stat(HMAC_KEY).isEmpty()) {
            String keyId = keys.current();
            keys.writing(keyId, true);
            byte[] fresh = new byte[32];
            new SecureRandom().nextBytes(fresh);
            String hex = HexFormat.of().formatHex(fresh);
            if (store.createsExclusively()) {
                // of two instances creating it at once, one wins; both then read the winner's
                store.create(HMAC_KEY, new ByteArrayInputStream(hex.getBytes(StandardCharsets.US_ASCII)));
            } else {
                store.put(HMAC_KEY, new ByteArrayInputStream(hex.getBytes(StandardCharsets.US_ASCII)));
            }
            writtenUnder(keys, keyId);
        }
        try (InputStream in = store.get(HMAC_KEY)) {
            return HexFormat.of().parseHex(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
        }
    }

    /** Whether block names are keyed hashes (an encrypted repository). */
    public boolean keyed() {
        return hmacKey != null;
    }

    /** A new hasher of block contents (not thread-safe: one per thread). */
    public Hasher hasher() {
        return new Hasher(hmacKey);
    }

    /** The object key a block name is stored under. */
    public static String objectKey(String name) {
        return PREFIX + name.substring(0, 2) + "/" + name;
    }

    /** The block name of an object key below {@link #PREFIX}, or empty for other objects there. */
    static Optional<String> nameOf(String objectKey) {
        String last = objectKey.substring(objectKey.lastIndexOf('/') + 1);
        return last.matches("[0-9a-f]{64}") ? Optional.of(last) : Optional.empty();
    }

    /**
     * Stores a block unless one of that name is there: the stored (compressed, maybe encrypted) byte count when
     * this call added it, 0 when it was there already. A block found there is not read again: a name is its content.
     */
    public long storeIfAbsent(String name, byte[] data, int length) throws IOException {
        String key = objectKey(name);
        if (store.stat(key).isPresent()) {
            return 0;
        }
        // one frame with its content checksum, as Codec.ZSTD writes and reads; a context per thread, no zstd workers
        // (the backup's own workers compress blocks side by side)
        InputStream content = new ByteArrayInputStream(COMPRESSOR.get().compress(
                length == data.length ? data : java.util.Arrays.copyOf(data, length)));
        String keyId = keys.current();
        keys.writing(keyId, false);
        try {
            if (store.createsExclusively()) {
                return store.create(key, content).map(ObjectStore.StoredObject::size).orElse(0L);
            }
            return store.put(key, content).size();
        } finally {
            writtenUnder(keys, keyId);
        }
    }

    /** After a write begun under {@code before}: a rotation meanwhile may have put it under the new key. */
    private static void writtenUnder(KeyWatch keys, String before) {
        String after = keys.current();
        if (after != null && !after.equals(before)) {
            keys.writing(after, false);
        }
    }

    /** Whether a block is stored. */
    public boolean has(String name) throws IOException {
        return store.stat(objectKey(name)).isPresent();
    }

    /** A block's plain bytes; fails when it is missing or damaged (zstd's frame checksum). */
    public byte[] read(String name) throws IOException {
        try (InputStream in = Codec.ZSTD.decode(store.get(objectKey(name)))) {
            return in.readAllBytes();
        }
    }

    /** Every block name in the repository whose object was written before {@code before}. */
    public List<String> namesWrittenBefore(java.time.Instant before) throws IOException {
        return store.listWrittenBefore(PREFIX, before).stream().map(BlockStore::nameOf).flatMap(Optional::stream)
                .toList();
    }

    /** Removes a block (the sweep, for blocks no manifest refers to). */
    public void delete(String name) throws IOException {
        store.delete(objectKey(name));
    }

    /** Names blocks: SHA-256, or HMAC-SHA-256 in an encrypted repository. */
    public static final class Hasher {
        private final MessageDigest sha;
        private final Mac mac;

        Hasher(byte[] key) {
            try {
                if (key == null) {
                    sha = MessageDigest.getInstance("SHA-256");
                    mac = null;
                } else {
                    sha = null;
                    mac = Mac.getInstance("HmacSHA256");
                    mac.init(new SecretKeySpec(key, "HmacSHA256"));
                }
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the block store's HMAC key is not usable", e);
            }
        }

        /** The name of the block {@code data[0..length)}. */
        public String name(byte[] data, int length) {
            byte[] digest;
            if (mac != null) {
                mac.update(data, 0, length);
                digest = mac.doFinal();
            } else {
                sha.update(data, 0, length);
                digest = sha.digest();
            }
            return HexFormat.of().formatHex(digest);
        }
    }
}
