package io.pgvault.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opens the {@code v1:} values of earlier versions, never seals: AES-256-GCM under one key that was the SHA-256
 * of {@code PGVAULT_SECRET_KEY} or the key file's bytes, a 12-byte nonce before the ciphertext. Kept only so that
 * catalogs written then stay readable; {@link SecretBox} seals them anew on their next write.
 */
final class LegacySecretBox {

    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;

    private final SecretKey key;

    private LegacySecretBox(byte[] key) {
        this.key = new SecretKeySpec(key, "AES");
    }

    static LegacySecretBox fromPassphrase(String passphrase) {
        try {
            return new LegacySecretBox(MessageDigest.getInstance("SHA-256")
                    .digest(passphrase.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static LegacySecretBox fromKey(byte[] key) {
        return new LegacySecretBox(key);
    }

    /** The plaintext of a v1 value, given without its prefix. */
    String open(String sealed) {
        try {
            byte[] all = Base64.getDecoder().decode(sealed);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, NONCE));
            return new String(cipher.doFinal(all, NONCE, all.length - NONCE), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw SecretBox.cannotOpen();
        }
    }

    /** A v1 value, as earlier versions sealed it: for tests that an upgrade still reads them. */
    String seal(String plain, byte[] nonce) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
        byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
        byte[] all = new byte[NONCE + sealed.length];
        System.arraycopy(nonce, 0, all, 0, NONCE);
        System.arraycopy(sealed, 0, all, NONCE, sealed.length);
        return SecretBox.V1 + Base64.getEncoder().encodeToString(all);
    }
}
