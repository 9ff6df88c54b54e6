package io.pgvault.api;

/**
 * The server holds as many requests of this kind as it allows, or the request crossed other work that has moved
 * on (a WAL push whose file retention removed meanwhile); the same request will work later. Rendered as 503
 * with {@code Retry-After}.
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
