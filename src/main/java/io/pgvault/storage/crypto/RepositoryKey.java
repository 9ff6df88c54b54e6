package io.pgvault.storage.crypto;

import com.google.crypto.tink.StreamingAead;

/** One usable key: its id, where it was read from (for messages) and Tink's primitive for it. */
record RepositoryKey(String id, String source, StreamingAead aead) {

    @Override
    public String toString() {
        return "key " + id + " from " + source;
    }
}
