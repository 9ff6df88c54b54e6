package io.pgvault.security;

import io.pgvault.PgvaultProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Seals secrets for the catalog with AES-256-GCM: {@code v1:} and the base64 of a random 12-byte nonce and
 * the ciphertext with its tag. The key is the SHA-256 of {@code PGVAULT_SECRET_KEY} when that is set, else
 * 32 random bytes kept in {@code pgvault.security.key-file} (created 0600). Values written before
 * encryption existed (no {@code v1:}) are read as they are and sealed on their next write.
 */
@Component
public class SecretBox {

    static final String PREFIX = "v1:";
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;

    private final SecretKey key;
    private final SecureRandom random = new SecureRandom();

    @Autowired
    SecretBox(PgvaultProperties properties) {
        this(System.getenv("PGVAULT_SECRET_KEY"), properties.security().keyFile());
    }

    SecretBox(String fromEnvironment, Path keyFile) {
        this.key = new SecretKeySpec(fromEnvironment != null && !fromEnvironment.isEmpty()
                ? sha256(fromEnvironment.getBytes(StandardCharsets.UTF_8)) : keyFile(keyFile), "AES");
    }

    public String seal(String plain) {
        if (plain == null) {
            return null;
        }
        try {
            byte[] nonce = new byte[NONCE];
            random.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            byte[] all = new byte[NONCE + sealed.length];
            System.arraycopy(nonce, 0, all, 0, NONCE);
            System.arraycopy(sealed, 0, all, NONCE, sealed.length);
            return PREFIX + Base64.getEncoder().encodeToString(all);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not encrypt a secret", e);
        }
    }

    public String open(String stored) {
        if (stored == null || !stored.startsWith(PREFIX)) {
            return stored;
        }
        try {
            byte[] all = Base64.getDecoder().decode(stored.substring(PREFIX.length()));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, NONCE));
            return new String(cipher.doFinal(all, NONCE, all.length - NONCE), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            // never the value itself in the message
            throw new IllegalStateException("a stored secret cannot be decrypted: is PGVAULT_SECRET_KEY (or the key "
                    + "file) the one it was written with?");
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

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
