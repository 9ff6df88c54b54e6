package io.pgvault.api;

/** The request body is larger than what its target may ever hold. Rendered as 413. */
public class ContentTooLargeException extends RuntimeException {

    public ContentTooLargeException(String message) {
        super(message);
    }
}
