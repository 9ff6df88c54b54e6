package io.pgvault.reencryption;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** A re-encryption job's payload: the repository whose objects it re-encrypts, stored as a bare JSON string. */
record ReencryptionOrder(@JsonValue String repository) {

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    ReencryptionOrder {
    }
}
