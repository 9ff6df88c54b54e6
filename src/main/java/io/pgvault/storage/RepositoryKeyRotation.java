package io.pgvault.storage;

import io.pgvault.api.ConflictException;
import io.pgvault.api.NotFoundException;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import io.pgvault.storage.crypto.KeyRotationRefusedException;
import io.pgvault.storage.crypto.RepositoryKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * The keys of an encrypted repository as the API shows them (ids, never key material) and their rotation
 * without a restart: a new key is added to the repository's key file and encrypts every file written from
 * then on; the older keys stay in the file and read what they encrypted. Old files are not re-encrypted.
 */
@Service
public class RepositoryKeyRotation {

    private static final Logger log = LoggerFactory.getLogger(RepositoryKeyRotation.class);

    private final Repositories repositories;

    RepositoryKeyRotation(Repositories repositories) {
        this.repositories = repositories;
    }

    /** A repository's key ids: the current one, all of them, and why writing is refused if it is. */
    public record KeyIds(String repository, String currentKeyId, List<String> keyIds, String refusal) {
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

    private RepositoryKeys keysOf(String name) {
        Repositories.Repository r = repositories.configured(name)
                .orElseThrow(() -> new NotFoundException("no repository is named '" + name + "'"));
        if (!(r.store() instanceof EncryptedObjectStore encrypted)) {
            throw new ConflictException("repository '" + name + "' is not encrypted (encryption: "
                    + r.encryption() + "): it has no keys");
        }
        return encrypted.keys();
    }

    private static KeyIds view(String name, RepositoryKeys keys) {
        return new KeyIds(name, keys.currentKeyId(), List.copyOf(keys.keyIds()), keys.refusal().orElse(null));
    }
}
