package io.pgvault.api;

/** The request is valid but clashes with the current state. Rendered as 409. */
public class ConflictException extends RuntimeException {

    public ConflictException(String message) {
        super(message);
    }
}
