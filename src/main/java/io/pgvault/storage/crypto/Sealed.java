package io.pgvault.storage.crypto;

import java.io.OutputStream;

/**
 * A stream that encrypts what is written to it, and the id of the key it encrypts with: the caller records
 * the id with the file, since reading the file back needs exactly that key.
 */
public record Sealed(OutputStream stream, String keyId) {
}
