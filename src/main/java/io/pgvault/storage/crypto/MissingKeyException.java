package io.pgvault.storage.crypto;

import java.io.IOException;

/**
 * A file was encrypted with a key this repository no longer lists, typically after a rotation that dropped the
 * old key file. The caller adds which file it was reading.
 */
public final class MissingKeyException extends IOException {

    private final String keyId;

    MissingKeyException(String keyId) {
        super("no key with id " + keyId + " is configured: name the key file that holds key " + keyId + " in "
                + RepositoryKeys.OLD_KEY_FILES_SETTING);
        this.keyId = keyId;
    }

    public String keyId() {
        return keyId;
    }
}
