package io.pgvault.api;

/**
 * The request is well formed, but its content is not what its target must hold (a WAL file that is not one);
 * {@code field} names the culprit when there is one. Rendered as 422.
 */
public class UnprocessableContentException extends RuntimeException {

    private final String field;

    public UnprocessableContentException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
