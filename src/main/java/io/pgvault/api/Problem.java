package io.pgvault.api;

import io.swagger.v3.oas.annotations.media.Schema;
import java.net.URI;
import java.util.List;

/**
 * The shape of every error answer, for the OpenAPI document only: what {@link ProblemHandler}, the security
 * filters and Tomcat's own error valve write (RFC 9457 ProblemDetail plus pgvault's {@code errors}). Nothing
 * builds it; keeping it next to the handler keeps the documented fields those the handler really sets.
 */
@Schema(name = "Problem", description = "An error, as RFC 9457 application/problem+json. detail says what to change; "
        + "errors lists each bad field of a request that was refused for its content.")
record Problem(
        @Schema(description = "always about:blank: the status and title say what kind of error it is",
                example = "about:blank") URI type,
        @Schema(description = "the kind of error in a few words, e.g. Invalid request, Not found, Conflict, Busy",
                example = "Invalid request") String title,
        @Schema(description = "the HTTP status code of the answer", example = "400") int status,
        @Schema(description = "what went wrong and what to change, for a person to read",
                example = "port: must be less than or equal to 65535") String detail,
        @Schema(description = "the path of the request that failed", format = "uri-reference",
                example = "/api/v1/clusters") String instance,
        @Schema(description = "400 and 422 only: each field of the request that is wrong (absent when the problem "
                + "is not about one field)") List<FieldError> errors) {

    /** One bad field of a request. */
    @Schema(name = "FieldError", description = "One field of a request that was refused, and why")
    record FieldError(
            @Schema(description = "the field's path in the body or the parameter's name, e.g. port or target.xid",
                    example = "port") String field,
            @Schema(description = "what is wrong with it", example = "must be less than or equal to 65535")
            String message) {
    }
}
