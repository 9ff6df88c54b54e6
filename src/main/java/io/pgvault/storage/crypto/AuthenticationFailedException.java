package io.pgvault.storage.crypto;

import java.io.IOException;

/**
 * Stored ciphertext failed authentication: it was changed, cut short, stored under another name (its
 * associated data differs) or encrypted with another key. Distinct from other I/O failures because retrying
 * cannot help: the stored file itself is bad.
 */
public final class AuthenticationFailedException extends IOException {

    AuthenticationFailedException(Throwable cause) {
        super("authentication failed: the file was changed, cut short, moved from another name"
                + " or encrypted with another key", cause);
    }
}
