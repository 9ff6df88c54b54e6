package io.pgvault.security;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.aead.AesGcmKey;
import com.google.crypto.tink.aead.AesGcmParameters;
import com.google.crypto.tink.subtle.AesGcmJce;
import com.google.crypto.tink.subtle.Hkdf;
import com.google.crypto.tink.util.SecretBytes;
import io.pgvault.PgvaultProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Seals secrets for the catalog with Tink's AES-256-GCM AEAD: {@code v2:} and the base64 of a random 16-byte
 * salt and Tink's ciphertext (nonce, ciphertext, tag). Each value's key is derived with HKDF-SHA256 from the
 * master key and the value's salt, so no two values share a GCM key and the nonce space is never a concern.
 *
 * <p>The master key is 32 random bytes kept in {@code pgvault.security.key-file} (created 0600), or, when
 * {@code PGVAULT_SECRET_KEY} is set, that passphrase stretched with PBKDF2-HMAC-SHA256 (600,000 iterations,
 * OWASP's figure) under a fixed pgvault salt: every instance must derive the same key from the passphrase
 * alone, and the per-value salts keep values apart. Values sealed by earlier versions ({@code v1:}, a single
 * AES-GCM key that was the SHA-256 of the passphrase or the file's bytes) and values written before encryption
 * existed (no prefix) are still read, and sealed as {@code v2:} on their next write.
 */
@Component
public class SecretBox {

    static final String PREFIX = "v2:";
    static final String V1 = "v1:";
    private static final int SALT = 16;
    private static final int PBKDF2_ITERATIONS = 600_000;
    private static final byte[] PBKDF2_SALT = "pgvault secret box master key".getBytes(StandardCharsets.UTF_8);
    private static final byte[] HKDF_INFO = "pgvault secret box v2".getBytes(StandardCharsets.UTF_8);
    /** Binds a sealed value to its purpose: a ciphertext from another Tink user with this key does not open. */
    private static final byte[] ASSOCIATED = "pgvault catalog secret".getBytes(StandardCharsets.UTF_8);

    private final byte[] master;
    private final LegacySecretBox legacy;
    private final SecureRandom random = new SecureRandom();

    @Autowired
    SecretBox(PgvaultProperties properties) {
        this(System.getenv("PGVAULT_SECRET_KEY"), properties.security().keyFile());
    }

    SecretBox(String fromEnvironment, Path keyFile) {
        if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
            this.master = pbkdf2(fromEnvironment);
            this.legacy = LegacySecretBox.fromPassphrase(fromEnvironment);
        } else {
            byte[] fileKey = keyFile(keyFile);
            this.master = fileKey;
            this.legacy = LegacySecretBox.fromKey(fileKey);
        }
    }

    public String seal(String plain) {
        if (plain == null) {
            return null;
        }
        try {
            byte[] salt = new byte[SALT];
            random.nextBytes(salt);
            byte[] sealed = aead(salt).encrypt(plain.getBytes(StandardCharsets.UTF_8), ASSOCIATED);
            byte[] all = new byte[SALT + sealed.length];
            System.arraycopy(salt, 0, all, 0, SALT);
            System.arraycopy(sealed, 0, all, SALT, sealed.length);
            return PREFIX + Base64.getEncoder().encodeToString(all);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not encrypt a secret", e);
        }
    }

    public String open(String stored) {
        if (stored != null && stored.startsWith(V1)) {
            return legacy.open(stored.substring(V1.length()));
        }
        if (stored == null || !stored.startsWith(PREFIX)) {
            return stored;
        }
        try {
            byte[] all = Base64.getDecoder().decode(stored.substring(PREFIX.length()));
            if (all.length <= SALT) {
                throw new GeneralSecurityException("too short");
            }
            byte[] plain = aead(Arrays.copyOf(all, SALT)).decrypt(Arrays.copyOfRange(all, SALT, all.length),
                    ASSOCIATED);
            return new String(plain, StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw cannotOpen();
        }
    }

    static IllegalStateException cannotOpen() {
        // never the value itself in the message
        return new IllegalStateException("a stored secret cannot be decrypted: is PGVAULT_SECRET_KEY (or the key "
                + "file) the one it was written with?");
    }

    private Aead aead(byte[] salt) throws GeneralSecurityException {
        byte[] key = Hkdf.computeHkdf("HMACSHA256", master, salt, HKDF_INFO, 32);
        AesGcmParameters parameters = AesGcmParameters.builder().setKeySizeBytes(32).setIvSizeBytes(12)
                .setTagSizeBytes(16).setVariant(AesGcmParameters.Variant.NO_PREFIX).build();
        return AesGcmJce.create(AesGcmKey.builder().setParameters(parameters)
                .setKeyBytes(SecretBytes.copyFrom(key, InsecureSecretKeyAccess.get())).build());
    }

    private static byte[] pbkdf2(String passphrase) {
        try {
            PBEKeySpec spec = new PBEKeySpec(passphrase.toCharArray(), PBKDF2_SALT, PBKDF2_ITERATIONS, 256);
            try {
                return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            } finally {
                spec.clearPassword();
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the secret key from PGVAULT_SECRET_KEY", e);
        }
    }

    private static byte[] keyFile(Path file) {
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(file.toAbsolutePath().getParent());
                byte[] fresh = new byte[32];
                new SecureRandom().nextBytes(fresh);
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    Files.writeString(file, Base64.getEncoder().encodeToString(fresh) + "\n");
                } catch (FileAlreadyExistsException e) {
                    // another instance made it first: use theirs
                }
            }
            byte[] key = Base64.getDecoder().decode(Files.readString(file).strip());
            if (key.length != 32) {
                throw new IllegalStateException("the key file " + file + " does not hold a 32-byte base64 key");
            }
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the key file " + file, e);
        }
    }
}
