package io.pgvault.api;

/** The request cannot be carried out as asked; {@code field} names the culprit when there is one. Rendered as 400. */
public class InvalidRequestException extends RuntimeException {

    private final String field;

    public InvalidRequestException(String message) {
        this(null, message);
    }

    public InvalidRequestException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
