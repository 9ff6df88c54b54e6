package io.pgvault.storage.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/**
 * Encryption at rest for one repository ({@code encryption: aes-256-gcm}) as stream decorators, so that
 * multi-GB base backups and WAL segments pass through in bounded memory: Tink's streaming AEAD cuts the
 * plaintext into segments of 1 MiB of ciphertext, each with its own GCM tag, under a key derived for each
 * file from a random salt. Tink also marks the last segment, so a file cut short at a segment boundary fails
 * like a changed one.
 *
 * <p>The associated data is the file's name in the repository (its object key, e.g.
 * {@code cluster/BASE/<id>/base.tar.zst}): it is authenticated but not stored, so a file copied or moved to
 * another name, say an old WAL segment put in place of a newer one, fails to decrypt instead of being read as
 * the file it now pretends to be. The caller must pass the same name to both directions.
 *
 * <p>Decryption hands out plaintext one authenticated segment at a time: everything read is authentic, but a
 * file is whole only once its stream reached its end without an exception, so a caller that writes what it
 * reads (a restore) keeps the result aside until then.
 */
public final class SealedStreams {

    private final RepositoryKeys keys;

    public SealedStreams(RepositoryKeys keys) {
        this.keys = keys;
    }

    /**
     * A stream that encrypts onto {@code out} with the current key; closing it writes the last authenticated
     * segment and closes {@code out}. Without that close the ciphertext is incomplete and will not decrypt.
     */
    public Sealed encrypt(OutputStream out, String associatedData) throws IOException {
        return encrypt(out, associatedData, keys.current());
    }

    Sealed encrypt(OutputStream out, String associatedData, RepositoryKey key) throws IOException {
        try {
            return new Sealed(key.aead().newEncryptingStream(out, bytes(associatedData)), key.id());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot start encrypting with " + key + ": " + e.getMessage(), e);
        }
    }

    /**
     * A stream of the plaintext of {@code in}, which must have been encrypted with the key {@code keyId} under
     * the same associated data; closing it closes {@code in}.
     *
     * @throws MissingKeyException when no configured key has that id (the caller adds which file it reads)
     * @throws AuthenticationFailedException from a read, when the stored bytes were changed, cut short, stored
     *     under another name or encrypted with another key; other exceptions from {@code in} pass through
     */
    public InputStream decrypt(InputStream in, String keyId, String associatedData) throws IOException {
        RepositoryKey key = keys.find(keyId).orElseThrow(() -> new MissingKeyException(keyId));
        return new AuthenticatedInputStream(key.aead(), in, bytes(associatedData));
    }

    private static byte[] bytes(String associatedData) {
        if (associatedData == null || associatedData.isEmpty()) {
            throw new IllegalArgumentException("the associated data must name the file (its object key)");
        }
        return associatedData.getBytes(StandardCharsets.UTF_8);
    }
}
