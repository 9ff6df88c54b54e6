package io.pgvault.blocks;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
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
 *
 * <p><b>Page deltas.</b> A manifest refers to a block by its <i>reference</i>: the block's name, or
 * {@code <name>-<base>} when the block is stored as the pages in which it differs from a whole block {@code base}
 * (each page as its XOR with the base's page, mostly zeros)
 * (the block at the same place in the backup it builds on). An INCR after scattered updates (pgbench's) changes a
 * few pages of nearly every megabyte: its blocks are all new, but each is stored as its changed pages. A delta's base
 * is always a whole block (never another delta), so reading one costs two objects at most; a block whose pages
 * changed for more than half is stored whole, and becomes the base of the next ones, unless its delta still
 * stores in at most three quarters of what the whole block takes. Either way the name is the
 * hash of the whole block's bytes, so restores, checks and delta restores compare what they read with the name.
 * The sweep keeps a delta's base as long as the delta is kept ({@link BlockSweep#referenced}).
 */
public final class BlockStore {

    /** Where blocks live in a repository; cluster names are slugs and never start with a dot. */
    public static final String PREFIX = ".blocks/";
    private static final String HMAC_KEY = PREFIX + "hmac-key";
    /** zstd's level unless the settings say otherwise (pgvault.blocks.compression-level). */
    public static final int DEFAULT_LEVEL = 3;
    private static final int NAME_LENGTH = 64;
    /** Pages of a delta: PostgreSQL's. */
    static final int PAGE = PageChecksum.PAGE;
    private static final byte[] DELTA_MAGIC = {'P', 'G', 'V', 'D', 1};

    private static final byte[] NO_SPARE = new byte[0];
    private static final ThreadLocal<ZstdDecompressCtx> DECOMPRESSOR = ThreadLocal.withInitial(ZstdDecompressCtx::new);
    /** Blocks are 1 MiB; a frame claiming more than this is read by the stream decoder, never allocated up front. */
    private static final long EXACT_READ_LIMIT = 64L << 20;
    private static final ThreadLocal<Compressor> COMPRESSOR = ThreadLocal.withInitial(Compressor::new);

    /**
     * A zstd context and the buffer it compresses into, reused for every block a thread stores: a block's frame is
     * written into the same array each time (grown when a block is larger), instead of two fresh arrays per block,
     * which at one block per megabyte was most of a backup's garbage and a third of its time.
     */
    private static final class Compressor {
        private final ZstdCompressCtx ctx = new ZstdCompressCtx();
        private byte[] out = new byte[0];
        private byte[] aside = new byte[0];
        /** Where a delta's base is read into. */
        private byte[] plain = new byte[0];
        /** Where a delta is made (its header and pages), before it is compressed. */
        private byte[] delta = new byte[0];

        private int level = DEFAULT_LEVEL;

        Compressor() {
            ctx.setLevel(level);
            ctx.setChecksum(true);
        }

        /** The frame of {@code data[0..length)} at {@code level}, valid until this thread's next call. */
        InputStream compress(byte[] data, int length, int level) {
            out = fit(out, length);
            return frame(out, data, length, level);
        }

        /** As {@link #compress}, into a second buffer, valid while the first is in use. */
        InputStream compressAside(byte[] data, int length, int level) {
            aside = fit(aside, length);
            return frame(aside, data, length, level);
        }

        private static byte[] fit(byte[] buffer, int length) {
            int bound = (int) Zstd.compressBound(length);
            return buffer.length < bound ? new byte[bound] : buffer;
        }

        private InputStream frame(byte[] into, byte[] data, int length, int level) {
            if (level != this.level) {
                // one context per thread, shared by the stores it writes to
                ctx.setLevel(level);
                this.level = level;
            }
            return new ByteArrayInputStream(into, 0, ctx.compressByteArray(into, 0, into.length, data, 0, length));
        }
    }

    private final ObjectStore store;
    private final byte[] hmacKey;
    private final KeyWatch keys;
    private final int level;

    private BlockStore(ObjectStore store, byte[] hmacKey, KeyWatch keys, int level) {
        this.store = store;
        this.hmacKey = hmacKey;
        this.keys = keys;
        this.level = level;
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
        return of(store, keyed, keys, DEFAULT_LEVEL);
    }

    /** As {@link #of(ObjectStore, boolean, KeyWatch)}, compressing new blocks at zstd's {@code level}. */
    public static BlockStore of(ObjectStore store, boolean keyed, KeyWatch keys, int level) throws IOException {
        if (level < 1 || level > 19) {
            throw new IllegalArgumentException("zstd's level for blocks is 1 to 19, not " + level);
        }
        return new BlockStore(store, keyed ? hmacKey(store, keys) : null, keys, level);
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

    /** The object key a block reference (a name, or a delta's {@code <name>-<base>}) is stored under. */
    public static String objectKey(String reference) {
        return PREFIX + reference.substring(0, 2) + "/" + reference;
    }

    /** The block reference of an object key below {@link #PREFIX}, or empty for other objects there. */
    static Optional<String> nameOf(String objectKey) {
        String last = objectKey.substring(objectKey.lastIndexOf('/') + 1);
        return last.matches("[0-9a-f]{64}(-[0-9a-f]{64})?") ? Optional.of(last) : Optional.empty();
    }

    /** The name of the block a reference stands for: the hash of its whole bytes. */
    public static String blockName(String reference) {
        return reference.length() > NAME_LENGTH ? reference.substring(0, NAME_LENGTH) : reference;
    }

    /** The whole block a delta reference is stored against, or empty for a whole block's reference. */
    public static Optional<String> baseOf(String reference) {
        return reference.length() > NAME_LENGTH ? Optional.of(reference.substring(NAME_LENGTH + 1))
                : Optional.empty();
    }

    /**
     * Stores a block unless one of that name is there: the stored (compressed, maybe encrypted) byte count when
     * this call added it, 0 when it was there already. A block found there is not read again: a name is its content.
     */
    public long storeIfAbsent(String name, byte[] data, int length) throws IOException {
        String key = objectKey(name);
        if (store.statToReference(key).isPresent()) {
            return 0;
        }
        return write(key, data, length);
    }

    /** Writes {@code data[0..length)} compressed under {@code key} unless it is there: the stored bytes added. */
    private long write(String key, byte[] data, int length) throws IOException {
        // one frame with its content checksum, as Codec.ZSTD writes and reads; a context and an output buffer per
        // thread, no zstd workers (the backup's own workers compress blocks side by side), no copy of the input
        return writeFrame(key, COMPRESSOR.get().compress(data, length, level));
    }

    /** Writes a compressed frame under {@code key} unless it is there: the stored bytes added. */
    private long writeFrame(String key, InputStream content) throws IOException {
        String keyId = keys.current();
        keys.writing(keyId, false);
        try {
            if (store.createsExclusively()) {
                // the manifest's put makes the block's name durable (its content is before the name exists)
                return store.createNameSyncedLater(key, content).map(ObjectStore.StoredObject::size).orElse(0L);
            }
            return store.put(key, content).size();
        } finally {
            writtenUnder(keys, keyId);
        }
    }

    /** What {@link #store} did: the reference the manifest keeps, and the stored bytes it added (0: none). */
    public record Stored(String reference, long bytes) {
    }

    /**
     * Stores a block, as the pages in which it differs from {@code previous} (the reference of the block at the same
     * place in the backup this one builds on; null: none) when at most half of them do, or more while that delta
     * compresses to at most three quarters of the whole block; else whole. What is stored already (the whole block,
     * or the same delta with its base) is referred to, not stored again. A base that cannot be read (gone, damaged,
     * a key missing) only means the block is stored whole.
     */
    public Stored store(String name, byte[] data, int length, String previous) throws IOException {
        return store(name, data, length, previous, true);
    }

    /**
     * As {@link #store(String, byte[], int, String)}; without {@code deltas} (a FULL) no delta is made, but a block
     * unchanged since {@code previous} stored it as a delta is still referred to by that delta rather than stored
     * whole again.
     */
    public Stored store(String name, byte[] data, int length, String previous, boolean deltas) throws IOException {
        if (previous != null && !previous.equals(name) && blockName(previous).equals(name)
                && hasToReference(previous)) {
            // unchanged since the previous backup, which stored it as a delta: the same delta
            return new Stored(previous, 0);
        }
        if (!deltas || previous == null || length % PAGE != 0 || length == 0) {
            return new Stored(name, storeIfAbsent(name, data, length));
        }
        if (store.statToReference(objectKey(name)).isPresent()) {
            return new Stored(name, 0);
        }
        String base = baseOf(previous).orElse(previous);
        String reference = name + "-" + base;
        if (hasToReference(reference)) {
            return new Stored(reference, 0);
        }
        Delta delta;
        try {
            delta = delta(base, data, length);
        } catch (IOException unreadable) {
            delta = null;
        }
        if (delta == null) {
            return new Stored(name, storeIfAbsent(name, data, length));
        }
        if (delta.changed() * 2 <= delta.pages()) {
            return new Stored(reference, write(objectKey(reference), delta.bytes(), delta.length()));
        }
        // most pages changed: the delta only if it stores in clearly less than the whole block, which otherwise
        // becomes the base of the deltas that follow (a B-tree's leaves after inserts all over it, say)
        Compressor compressor = COMPRESSOR.get();
        InputStream asDelta = compressor.compress(delta.bytes(), delta.length(), level);
        InputStream asWhole = compressor.compressAside(data, length, level);
        if (asDelta.available() * 4L <= asWhole.available() * 3L) {
            return new Stored(reference, writeFrame(objectKey(reference), asDelta));
        }
        // absent when looked for above; a create that another backup wins meanwhile adds nothing
        return new Stored(name, writeFrame(objectKey(name), asWhole));
    }

    /**
     * A page delta: {@code bytes[0..length)} (this thread's buffer, valid until its next delta), the pages that
     * changed, the pages of the block.
     */
    private record Delta(byte[] bytes, int length, int changed, int pages) {
    }

    /** The delta of {@code data} against the whole block {@code base}, or null when they differ in length. */
    private Delta delta(String base, byte[] data, int length) throws IOException {
        Compressor buffers = COMPRESSOR.get();
        int baseLength = readInto(base, buffers);
        if (baseLength != length) {
            return null;
        }
        byte[] old = buffers.plain;
        int pages = length / PAGE;
        int[] changed = new int[pages];
        int count = 0;
        for (int p = 0; p < pages; p++) {
            int from = p * PAGE;
            if (java.util.Arrays.mismatch(old, from, from + PAGE, data, from, from + PAGE) >= 0) {
                changed[count++] = p;
            }
        }
        int size = DELTA_MAGIC.length + 4 + 4 + NAME_LENGTH + 4 + count * (4 + PAGE);
        if (buffers.delta.length < size) {
            // kept for the thread's next blocks, as the frame buffers are: not a fresh array of up to a megabyte per
            // changed block
            buffers.delta = new byte[Math.max(size, DELTA_MAGIC.length + 4 + 4 + NAME_LENGTH + 4 + pages * (4 + PAGE))];
        }
        java.nio.ByteBuffer out = java.nio.ByteBuffer.wrap(buffers.delta, 0, size);
        out.put(DELTA_MAGIC).putInt(PAGE).putInt(length).put(base.getBytes(StandardCharsets.US_ASCII)).putInt(count);
        for (int k = 0; k < count; k++) {
            out.putInt(changed[k]);
        }
        // each page as its XOR with the base's: the bytes that did not change (most of a page whose rows only got a
        // new xmax, or a few more tuples) are zeros, which zstd stores in next to nothing
        byte[] bytes = out.array();
        int at = out.position();
        for (int k = 0; k < count; k++) {
            int from = changed[k] * PAGE;
            for (int i = 0; i < PAGE; i++) {
                bytes[at + i] = (byte) (data[from + i] ^ old[from + i]);
            }
            at += PAGE;
        }
        return new Delta(bytes, size, count, pages);
    }

    /**
     * The whole block a delta and its base make, the base's bytes ({@code whole[0..baseLength)}) changed in place;
     * fails when the delta is not one or does not fit its base.
     */
    private static void apply(String reference, byte[] delta, byte[] whole, int baseLength) throws IOException {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(delta);
        byte[] magic = new byte[DELTA_MAGIC.length];
        String base = baseOf(reference).orElseThrow();
        try {
            in.get(magic);
            int page = in.getInt();
            int length = in.getInt();
            byte[] named = new byte[NAME_LENGTH];
            in.get(named);
            int count = in.getInt();
            if (!java.util.Arrays.equals(magic, DELTA_MAGIC) || page != PAGE
                    || !new String(named, StandardCharsets.US_ASCII).equals(base) || count < 0
                    || count > length / PAGE) {
                throw new IOException("block " + reference + " is not a page delta of " + base);
            }
            int[] pages = new int[count];
            for (int k = 0; k < count; k++) {
                pages[k] = in.getInt();
            }
            if (baseLength != length) {
                throw new IOException("block " + reference + " needs a base of " + length + " bytes, and " + base
                        + " holds " + baseLength);
            }
            if (in.remaining() != count * PAGE) {
                throw new IOException("block " + reference + " holds " + in.remaining() + " bytes of pages for " + count
                        + " page(s)");
            }
            int at = in.position();
            for (int k = 0; k < count; k++) {
                if (pages[k] < 0 || (pages[k] + 1) * PAGE > length) {
                    throw new IOException("block " + reference + " names page " + pages[k] + " outside the block");
                }
                int to = pages[k] * PAGE;
                for (int i = 0; i < PAGE; i++) {
                    whole[to + i] ^= delta[at + i];
                }
                at += PAGE;
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException("block " + reference + " ends inside its page delta", e);
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

    /** Whether a block is stored, asked by whoever will refer to it from a manifest instead of storing it. */
    public boolean hasToReference(String reference) throws IOException {
        // a delta is only there if its base is
        Optional<String> base = baseOf(reference);
        return store.statToReference(objectKey(reference)).isPresent()
                && (base.isEmpty() || store.statToReference(objectKey(base.get())).isPresent());
    }

    /** A block's whole bytes by its reference; fails when it (or a delta's base) is missing or damaged. */
    public byte[] read(String reference) throws IOException {
        // no spare: an array of the block's own length
        return read(reference, NO_SPARE).bytes();
    }

    /** A block's bytes: {@code bytes[0..length)}. */
    public record Block(byte[] bytes, int length) {
    }

    /**
     * As {@link #read(String)}, into {@code spare} when the block fits in it (as every block of the store's size
     * does), so that a reader of many blocks allocates none; a block that does not fit comes in an array of its
     * own. A delta's base is read into the same array and the delta applied there.
     */
    public Block read(String reference, byte[] spare) throws IOException {
        Optional<String> base = baseOf(reference);
        Block whole = decode(base.orElse(reference), spare);
        if (base.isPresent()) {
            apply(reference, decode(reference, NO_SPARE).bytes(), whole.bytes(), whole.length());
        }
        return whole;
    }

    /**
     * An object's plain bytes (zstd's frame checksum checked), into {@code spare} when they fit, else in an array
     * of their own length.
     */
    private Block decode(String name, byte[] spare) throws IOException {
        byte[] frame = frame(name);
        long size = contentSize(frame);
        if (size < 0) {
            byte[] streamed = streamed(frame);
            return new Block(streamed, streamed.length);
        }
        byte[] into = size <= spare.length ? spare : new byte[(int) size];
        decompress(name, frame, into, (int) size);
        return new Block(into, (int) size);
    }

    /** A whole block's bytes into this thread's {@code buffers.plain} (replaced when too small): its length. */
    private int readInto(String name, Compressor buffers) throws IOException {
        Block block = decode(name, buffers.plain);
        buffers.plain = block.bytes();
        return block.length();
    }

    /** Not a frame this store wrote (or a damaged header): the stream decoder reads it, or says what is wrong. */
    private static byte[] streamed(byte[] frame) throws IOException {
        try (InputStream in = Codec.ZSTD.decode(new ByteArrayInputStream(frame))) {
            return in.readAllBytes();
        }
    }

    /** Decompresses a frame that says it holds {@code size} bytes into {@code into}; fails unless it does. */
    private static void decompress(String reference, byte[] frame, byte[] into, int size) throws IOException {
        int n;
        try {
            n = DECOMPRESSOR.get().decompressByteArray(into, 0, size, frame, 0, frame.length);
        } catch (ZstdException e) {
            throw new IOException("block " + reference + " is damaged: " + e.getMessage(), e);
        }
        if (n != size) {
            throw new IOException("block " + reference + " is damaged: its frame says " + size + " bytes and holds " + n);
        }
    }

    private byte[] frame(String reference) throws IOException {
        try (InputStream in = store.get(objectKey(reference))) {
            return in.readAllBytes();
        }
    }

    /** The size the frame says it holds (Compressor writes it), or -1: unknown, or more than a block can be. */
    private static long contentSize(byte[] frame) {
        long size = frame.length >= 4 ? Zstd.getFrameContentSize(frame) : -1;
        return size > EXACT_READ_LIMIT ? -1 : size;
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
