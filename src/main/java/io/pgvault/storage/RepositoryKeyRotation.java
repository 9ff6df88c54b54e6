package io.pgvault.storage;

import io.pgvault.api.ConflictException;
import io.pgvault.api.NotFoundException;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import io.pgvault.storage.crypto.KeyRotationRefusedException;
import io.pgvault.storage.crypto.RepositoryKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * The keys of an encrypted repository as the API shows them (ids, never key material) and their rotation
 * without a restart: a new key is added to the repository's key file and encrypts every file written from
 * then on; the older keys stay in the file and read what they encrypted. Old files are re-encrypted by a REENCRYPT
 * job; how many objects each key still encrypts comes from the catalog ({@link StoredKeyUsage}), and which keys the
 * block store may hold objects under too ({@link BlockStoreKeys}): a key goes only when neither needs it.
 */
@Service
public class RepositoryKeyRotation {

    private static final Logger log = LoggerFactory.getLogger(RepositoryKeyRotation.class);

    private final Repositories repositories;
    private final StoredKeyUsage usage;
    private final BlockStoreKeys blockStoreKeys;

    RepositoryKeyRotation(Repositories repositories, StoredKeyUsage usage, BlockStoreKeys blockStoreKeys) {
        this.repositories = repositories;
        this.usage = usage;
        this.blockStoreKeys = blockStoreKeys;
    }

    /**
     * A repository's key ids: the current one, all of them, and why writing is refused if it is; how many stored
     * objects the catalog records under each key (every configured key listed, 0 when none), and how many objects
     * it records no key for; the keys the block store ({@code .blocks/}, which the catalog does not list) may hold
     * objects under ({@link BlockStoreKeys}), and whether it holds objects from before those keys were noted.
     */
    public record KeyIds(String repository, String currentKeyId, List<String> keyIds, String refusal,
            Map<String, Long> objectsByKey, long objectsWithoutRecordedKey, List<String> blockStoreKeyIds,
            boolean blockStoreKeysUnknown) {
    }

    /** The key ids of the encrypted repository {@code name}. */
    public KeyIds keys(String name) {
        return view(name, keysOf(name));
    }

    /** Adds a new current key to the repository {@code name}; answers its key ids, the new one current. */
    public KeyIds rotate(String name) {
        RepositoryKeys keys = keysOf(name);
        String before = keys.currentKeyId();
        try {
            String added = keys.rotate();
            log.info("Repository '{}': new files are encrypted with the new key {} (was {}); the older keys stay in"
                    + " {} to read what they encrypted: back the file up again", name, added, before,
                    keys.currentSource());
        } catch (KeyRotationRefusedException e) {
            throw new ConflictException("repository '" + name + "': " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("repository '" + name + "': the key could not be rotated: "
                    + e.getMessage(), e);
        }
        return view(name, keys);
    }

    /**
     * Removes an older key from the repository's key file, only while the catalog records no stored object under
     * it, none without a recorded key and no old object a re-encryption could not remove; answers the key ids left.
     */
    public KeyIds remove(String name, String keyId) {
        RepositoryKeys keys = keysOf(name);
        if (!keys.keyIds().contains(keyId)) {
            throw new NotFoundException("repository '" + name + "' has no key " + keyId + " (its keys: "
                    + keys.keyIds() + ")");
        }
        KeyIds now = view(name, keys);
        long using = now.objectsByKey().getOrDefault(keyId, 0L);
        List<String> reasons = new java.util.ArrayList<>();
        if (using > 0 || now.objectsWithoutRecordedKey() > 0) {
            reasons.add(using > 0 ? using + " stored object(s) are encrypted with it"
                    : now.objectsWithoutRecordedKey() + " stored object(s) have no recorded key");
        }
        if (now.blockStoreKeysUnknown() || now.blockStoreKeyIds().contains(keyId)) {
            reasons.add("the block store (.blocks/) may hold objects encrypted with it (blocks of BLOCKS backups or "
                    + "its HMAC key; " + (now.blockStoreKeysUnknown() ? "written before pgvault noted their keys"
                    : "noted keys " + now.blockStoreKeyIds()) + ")");
        }
        if (!reasons.isEmpty()) {
            throw new ConflictException("repository '" + name + "': key " + keyId + " cannot go, "
                    + String.join("; ", reasons) + ": re-encrypt the repository first (POST /api/v1/repositories/"
                    + name + "/reencryptions)");
        }
        long leftovers = usage.leftovers(name);
        if (leftovers > 0) {
            throw new ConflictException("repository '" + name + "': key " + keyId + " cannot go, " + leftovers
                    + " old object(s) that a re-encryption switched away from could not be removed yet and may be "
                    + "encrypted with it: run the re-encryption again (POST /api/v1/repositories/" + name
                    + "/reencryptions)");
        }
        try {
            keys.remove(keyId);
            log.info("Repository '{}': key {} removed from {}; nothing the catalog points at was encrypted with it",
                    name, keyId, keys.currentSource());
        } catch (KeyRotationRefusedException e) {
            throw new ConflictException("repository '" + name + "': " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("repository '" + name + "': key " + keyId + " could not be removed: "
                    + e.getMessage(), e);
        }
        return view(name, keys);
    }

    private RepositoryKeys keysOf(String name) {
        Repositories.Repository r = repositories.configured(name)
                .orElseThrow(() -> new NotFoundException("no repository is named '" + name + "'"));
        if (!(r.store() instanceof EncryptedObjectStore encrypted)) {
            throw new ConflictException("repository '" + name + "' is not encrypted (encryption: "
                    + r.encryption() + "): it has no keys");
        }
        return encrypted.keys();
    }

    private KeyIds view(String name, RepositoryKeys keys) {
        Map<String, Long> counted = usage.count(name);
        Map<String, Long> byKey = new LinkedHashMap<>();
        keys.keyIds().forEach(id -> byKey.put(id, counted.getOrDefault(id, 0L)));
        counted.forEach((id, n) -> {
            if (!id.equals(StoredKeyUsage.UNRECORDED)) {
                byKey.putIfAbsent(id, n);
            }
        });
        java.util.Set<String> blockKeys = blockStoreKeys.keyIds(name);
        return new KeyIds(name, keys.currentKeyId(), List.copyOf(keys.keyIds()), keys.refusal().orElse(null), byKey,
                counted.getOrDefault(StoredKeyUsage.UNRECORDED, 0L),
                blockKeys.stream().filter(k -> !k.equals(BlockStoreKeys.UNKNOWN)).toList(),
                blockKeys.contains(BlockStoreKeys.UNKNOWN));
    }
}
