package io.pgvault.api;

/**
 * The server holds as many requests of this kind as it allows; the same request will work later. Rendered as
 * 503 with {@code Retry-After}.
 */
public class BusyException extends RuntimeException {

    private final int retryAfterSeconds;

    public BusyException(String message, int retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
