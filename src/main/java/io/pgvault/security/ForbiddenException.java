package io.pgvault.security;

/** The caller is known but its role does not allow this request. Rendered as 403. */
public class ForbiddenException extends RuntimeException {

    public ForbiddenException(String message) {
        super(message);
    }
}
