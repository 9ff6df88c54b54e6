package io.pgvault.storage.crypto;

import com.google.crypto.tink.Configuration;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeyStatus;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.streamingaead.AesGcmHkdfStreamingKey;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig2026;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Tink side of a key file: generate, serialize and parse one keyset, and check that it holds what
 * {@code encryption: aes-256-gcm} promises. Tink is used through its {@link StreamingAeadConfig2026}
 * configuration rather than the global registry, so nothing here depends on who registered what first.
 *
 * <p>New keys use {@code AES256_GCM_HKDF_1MB}: AES-256-GCM under a per-file key derived with HKDF-SHA256
 * from the keyset key and a random salt, in authenticated segments of 1 MiB of ciphertext. 1 MiB rather
 * than 4 KiB because our files are 16 MiB WAL segments and multi-GB tar files, read whole and never at
 * random offsets: a 16-byte tag per MiB costs 0.0015% where 4 KiB segments cost 0.4%, and 256 times fewer
 * GCM calls. The price, two or three 1 MiB buffers per open stream, is small next to the compressor's.
 *
 * <p>Parse errors never carry Tink's or Gson's messages or causes: those may quote the text being parsed,
 * and that text is a secret.
 */
final class Keysets {

    /** What {@code encryption: aes-256-gcm} means in Tink terms: an AES-256 key, AES-256 derived keys. */
    private static final int AES_256_BYTES = 32;

    private static final Configuration TINK = StreamingAeadConfig2026.get();

    private Keysets() {
    }

    /** A new keyset of one fresh key, as the JSON a key file holds. */
    static String generateJson() throws IOException {
        try {
            KeysetHandle keyset = KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB, TINK);
            return TinkJsonProtoKeysetFormat.serializeKeyset(keyset, TINK, InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot generate a new encryption key: " + e.getMessage(), e);
        }
    }

    /**
     * The keys a keyset in JSON holds, its primary (the key new files are encrypted with) first; {@code source}
     * names where the JSON came from (a file, an environment variable) in every message, since the JSON itself
     * must never appear in one. A keyset holds one key, or several after a rotation: the newest primary, the
     * older ones kept to read what they encrypted.
     */
    static List<RepositoryKey> parse(String json, String source) throws IOException {
        KeysetHandle keyset = handle(json, source);
        List<RepositoryKey> keys = new ArrayList<>();
        keys.add(key(keyset.getPrimary(), source));
        for (int i = 0; i < keyset.size(); i++) {
            if (!keyset.getAt(i).isPrimary()) {
                keys.add(key(keyset.getAt(i), source));
            }
        }
        return keys;
    }

    /**
     * The keyset in {@code json} with a new key added and made primary (the others stay, to read with), as
     * JSON; the new key's id is the first of {@link #parse} on the answer.
     */
    static String withNewPrimary(String json, String source) throws IOException {
        KeysetHandle keyset = handle(json, source);
        try {
            KeysetHandle.Builder builder = KeysetHandle.newBuilder(keyset).setConfiguration(TINK);
            builder.addEntry(KeysetHandle.generateEntryFromParameters(PredefinedStreamingAeadParameters
                    .AES256_GCM_HKDF_1MB).withRandomId().makePrimary());
            return TinkJsonProtoKeysetFormat.serializeKeyset(builder.build(), TINK, InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot add a new key to " + source + ": " + e.getMessage());
        }
    }

    /** The keyset in {@code json} without the key {@code keyId} (which must be there and not primary), as JSON. */
    static String without(String json, String source, String keyId) throws IOException {
        KeysetHandle keyset = handle(json, source);
        for (int i = 0; i < keyset.size(); i++) {
            if (keyId(keyset.getAt(i).getId()).equals(keyId)) {
                if (keyset.getAt(i).isPrimary()) {
                    throw new IOException("key " + keyId + " is the primary key of " + source);
                }
                try {
                    KeysetHandle.Builder builder = KeysetHandle.newBuilder(keyset).setConfiguration(TINK);
                    builder.deleteAt(i);
                    return TinkJsonProtoKeysetFormat.serializeKeyset(builder.build(), TINK,
                            InsecureSecretKeyAccess.get());
                } catch (GeneralSecurityException e) {
                    throw new IOException("cannot remove key " + keyId + " from " + source + ": " + e.getMessage());
                }
            }
        }
        throw new IOException(source + " holds no key " + keyId);
    }

    private static KeysetHandle handle(String json, String source) throws IOException {
        try {
            return TinkJsonProtoKeysetFormat.parseKeyset(json, TINK, InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException | RuntimeException e) {
            // Gson throws unchecked exceptions on malformed JSON; neither kind's message may be repeated
            throw new IOException(source + " does not hold a Tink keyset in JSON format"
                    + " (the cleartext keyset that pgvault writes, or tinkey's --out-format json)");
        }
    }

    private static RepositoryKey key(KeysetHandle.Entry entry, String source) throws IOException {
        String id = keyId(entry.getId());
        if (entry.getStatus() != KeyStatus.ENABLED) {
            throw new IOException(source + " holds key " + id + ", which is " + entry.getStatus() + ", not ENABLED");
        }
        if (!(entry.getKey() instanceof AesGcmHkdfStreamingKey key)
                || key.getParameters().getKeySizeBytes() != AES_256_BYTES
                || key.getParameters().getDerivedAesGcmKeySizeBytes() != AES_256_BYTES) {
            throw new IOException(source + " holds a key of another kind (" + entry.getKey().getParameters()
                    + "); encryption aes-256-gcm needs an AES256_GCM_HKDF streaming key");
        }
        try {
            // a keyset of this key alone: an object's header names its key, so reading never tries the others
            KeysetHandle single = KeysetHandle.newBuilder()
                    .addEntry(KeysetHandle.importKey(entry.getKey()).withFixedId(entry.getId()).makePrimary()).build();
            return new RepositoryKey(id, source, single.getPrimitive(TINK, StreamingAead.class));
        } catch (GeneralSecurityException e) {
            throw new IOException(source + " holds a key that Tink cannot use: " + e.getMessage());
        }
    }

    /**
     * Tink's id of the key, as 8 hex digits. Tink draws it at random when it generates the key and stores it
     * in the keyset next to the key material; it says nothing about the key material, is stable for as long as
     * the key file is, and is what tinkey's {@code list-keyset} shows.
     */
    static String keyId(int tinkKeyId) {
        return String.format(Locale.ROOT, "%08x", tinkKeyId);
    }
}
