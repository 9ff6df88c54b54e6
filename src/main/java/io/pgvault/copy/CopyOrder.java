package io.pgvault.copy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** A copy job's payload: the repository the backup is copied to, stored as a bare JSON string as always. */
record CopyOrder(@JsonValue String repository) {

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    CopyOrder {
    }
}
