package io.pgvault.storage.crypto;

import io.pgvault.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a repository's stored objects say about the keys they need, read from each object's first line (its key
 * id) without any key: the check made before a key file is created, so that a lost key file is noticed instead
 * of silently replaced. Objects below {@code .pgvault/} (health probes) are pgvault's own and not counted.
 */
final class StoredKeyIds {

    /** Past this many objects the check stops, refusing: a key for a repository this full is never new. */
    static final int MAX_OBJECTS = 10_000;

    private StoredKeyIds() {
    }

    /**
     * A sentence naming the first stored object encrypted with a key not in {@code known}, and that key's id;
     * empty when every encrypted object's key is known (or there is none). A store that cannot be listed or
     * read is answered as if it held such an object: without seeing it empty, no key is created for it.
     */
    static Optional<String> firstUnknown(ObjectStore stored, Set<String> known) {
        List<String> keys;
        try {
            keys = stored.list("").stream().filter(k -> !k.startsWith(".pgvault/")).toList();
        } catch (IOException | RuntimeException e) {
            return Optional.of("pgvault cannot tell whether the repository already holds encrypted objects (listing "
                    + stored.describe() + " failed: " + e.getMessage() + ")");
        }
        if (keys.size() > MAX_OBJECTS) {
            return Optional.of("the repository already holds " + keys.size() + " objects");
        }
        for (String key : keys) {
            String keyId;
            try (InputStream in = stored.get(key)) {
                keyId = EncryptedObjectStore.header(in, key);
            } catch (IOException | RuntimeException e) {
                if (e.getMessage() != null && e.getMessage().contains("is not an object pgvault encrypted")) {
                    continue; // stored unencrypted: needs no key
                }
                return Optional.of("pgvault cannot read the first line of " + key + " in " + stored.describe()
                        + " to tell which key it needs (" + e.getMessage() + ")");
            }
            if (!known.contains(keyId)) {
                return Optional.of(stored.describe() + " already holds objects encrypted with key id " + keyId
                        + " (e.g. " + key + ")");
            }
        }
        return Optional.empty();
    }
}
