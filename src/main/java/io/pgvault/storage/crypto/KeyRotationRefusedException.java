package io.pgvault.storage.crypto;

import java.io.IOException;

/** A key rotation that cannot be done here, with why: the caller's request, not the store, is at fault. */
public final class KeyRotationRefusedException extends IOException {

    KeyRotationRefusedException(String message) {
        super(message);
    }
}
