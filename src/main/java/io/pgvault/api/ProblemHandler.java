package io.pgvault.api;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/** Renders every error as RFC 9457 problem+json with a detail a person can act on. */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    @ExceptionHandler(NotFoundException.class)
    ProblemDetail notFound(NotFoundException e) {
        return problem(HttpStatus.NOT_FOUND, "Not found", e.getMessage());
    }

    /**
     * A role refused by an operation's {@code @PreAuthorize}: passed on to Spring Security, which answers 403 and
     * records the denial in the audit trail (the catch-all below would make it a 500).
     */
    @ExceptionHandler(org.springframework.security.access.AccessDeniedException.class)
    void denied(org.springframework.security.access.AccessDeniedException e) {
        throw e;
    }

    /** Two requests raced for one unique name (a token, a schedule...): the second one loses. */
    @ExceptionHandler(org.springframework.dao.DataIntegrityViolationException.class)
    ProblemDetail duplicate(org.springframework.dao.DataIntegrityViolationException e) {
        log.info("refused a write that conflicts with the catalog: {}", e.getMostSpecificCause().getMessage());
        return problem(HttpStatus.CONFLICT, "Conflict", "the request conflicts with an existing entry (made by a "
                + "concurrent request?); read the current state and try again");
    }

    @ExceptionHandler(ConflictException.class)
    ProblemDetail conflict(ConflictException e) {
        return problem(HttpStatus.CONFLICT, "Conflict", e.getMessage());
    }

    @ExceptionHandler(BusyException.class)
    ResponseEntity<ProblemDetail> busy(BusyException e) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, Integer.toString(e.retryAfterSeconds()))
                .body(problem(HttpStatus.SERVICE_UNAVAILABLE, "Busy", e.getMessage()));
    }

    /**
     * A lock in the catalog was not granted in time (H2 waits 2 s; a deadlock on PostgreSQL): another request
     * holds it, such as retention removing WAL while a push records a file. Its transaction was rolled back.
     */
    @ExceptionHandler(org.springframework.dao.PessimisticLockingFailureException.class)
    ResponseEntity<ProblemDetail> lockNotGranted(org.springframework.dao.PessimisticLockingFailureException e) {
        log.info("a catalog lock was not granted: {}", e.getMostSpecificCause().getMessage());
        return busy(new BusyException("another request holds a lock in the catalog that this one needs (retention "
                + "removing WAL, a recovery being queued); the same request will work in a moment", 1));
    }

    /**
     * Storage that did not take or give a file (S3 answering 503, a connection a fault left dead, a full disk):
     * the request did nothing half-visibly and may simply be sent again, as archive_command and scripts do; 503
     * with Retry-After and the store's own words, not an "unexpected error".
     */
    @ExceptionHandler(java.io.IOException.class)
    ResponseEntity<ProblemDetail> storage(java.io.IOException e) {
        log.warn("a request met a storage error: {}", e.getMessage());
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "5")
                .body(problem(HttpStatus.SERVICE_UNAVAILABLE, "Storage unavailable", e.getMessage()
                        + "; nothing was recorded, the same request may be sent again"));
    }

    @ExceptionHandler(InvalidRequestException.class)
    ProblemDetail invalid(InvalidRequestException e) {
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, "Invalid request", e.getMessage());
        if (e instanceof Representations.InvalidFieldsException fields) {
            p.setProperty("errors", fields.errors());
        } else if (e.field() != null) {
            p.setProperty("errors", List.of(Map.of("field", e.field(), "message", e.getMessage())));
        }
        return p;
    }

    @ExceptionHandler(UnprocessableContentException.class)
    ProblemDetail unprocessable(UnprocessableContentException e) {
        ProblemDetail p = problem(HttpStatus.UNPROCESSABLE_CONTENT, "Unprocessable content", e.getMessage());
        if (e.field() != null) {
            p.setProperty("errors", List.of(Map.of("field", e.field(), "message", e.getMessage())));
        }
        return p;
    }

    @ExceptionHandler(ContentTooLargeException.class)
    ProblemDetail tooLarge(ContentTooLargeException e) {
        return problem(HttpStatus.CONTENT_TOO_LARGE, "Content too large", e.getMessage());
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ProblemDetail typeMismatch(MethodArgumentTypeMismatchException e) {
        String form = e.getRequiredType() == null ? null : ExpectedForm.of(e.getRequiredType());
        String given = e.getValue() == null ? null : ExpectedForm.quote(e.getValue());
        return problem(HttpStatus.BAD_REQUEST, "Invalid request", "parameter '" + e.getName() + "' "
                + (form == null ? "has an invalid value" : "must be " + form) + (given == null ? "" : ", not " + given));
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<Map<String, String>> errors = ex.getBindingResult().getFieldErrors().stream()
                .map(f -> Map.of("field", f.getField(), "message", String.valueOf(f.getDefaultMessage())))
                .toList();
        String detail = errors.stream().map(e -> e.get("field") + ": " + e.get("message"))
                .sorted().collect(Collectors.joining("; "));
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, "Invalid request", detail);
        p.setProperty("errors", errors);
        return ResponseEntity.badRequest().body(p);
    }

    @Override
    protected ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        String detail = ex.getAllErrors().stream().map(e -> e.getDefaultMessage()).collect(Collectors.joining("; "));
        return ResponseEntity.badRequest().body(problem(HttpStatus.BAD_REQUEST, "Invalid request", detail));
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        return ResponseEntity.badRequest().body(problem(HttpStatus.BAD_REQUEST, "Malformed request body", describe(ex)));
    }

    /** The catalog database cannot be reached: nothing was started or changed, and trying later will work. */
    @ExceptionHandler({org.springframework.dao.DataAccessResourceFailureException.class,
            org.springframework.transaction.CannotCreateTransactionException.class,
            org.springframework.dao.TransientDataAccessResourceException.class})
    ResponseEntity<ProblemDetail> catalogUnavailable(Exception e) {
        log.warn("The catalog database cannot be reached: {}", e.getMessage());
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "10")
                .body(problem(HttpStatus.SERVICE_UNAVAILABLE, "Catalog unavailable", "the catalog database cannot "
                        + "be reached; nothing was started or changed; try again when /actuator/health shows it UP"));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        if (lostConnection(e)) {
            return catalogUnavailable(e);
        }
        log.error("Unexpected error", e);
        return ResponseEntity.internalServerError().body(problem(HttpStatus.INTERNAL_SERVER_ERROR, "Internal error",
                "An unexpected error occurred; the server log has the details."));
    }

    /** A JDBC connection broke or could not be made (SQLState class 08, or 57P: the server shut down). */
    private static boolean lostConnection(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.sql.SQLException sql && (sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))
                    || "Connection is closed".equals(sql.getMessage()))) {
                return true;
            }
        }
        return false;
    }

    /** What is wrong with a request body that Jackson could not read, naming the field and the form it needs. */
    static String describe(Throwable ex) {
        // the outermost Jackson error knows the field; what it wraps (a DateTimeParseException...) does not
        JacksonException j = null;
        for (Throwable t = ex instanceof JacksonException ? ex : ex.getCause(); t != null && j == null; t = t.getCause() == t ? null : t.getCause()) {
            j = t instanceof JacksonException found ? found : null;
        }
        if (j instanceof UnrecognizedPropertyException u) {
            return "unknown field '" + u.getPropertyName() + "'";
        }
        if (j == null) {
            return "the request body is missing or is not valid JSON";
        }
        String path = j.getPath().stream()
                .map(r -> r.getPropertyName() != null ? r.getPropertyName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
        String where = path.isEmpty() ? "the body" : "field '" + path + "'";
        String form = j instanceof MismatchedInputException m && m.getTargetType() != null
                ? ExpectedForm.of(m.getTargetType()) : null;
        if (form != null) {
            String given = j instanceof InvalidFormatException f ? ExpectedForm.quote(f.getValue()) : null;
            return where + ": expected " + form + (given == null ? "" : ", not " + given);
        }
        String message = j.getOriginalMessage();
        int cut = message.indexOf(" (class ");
        message = cut > 0 ? message.substring(0, cut) : message;
        return path.isEmpty() ? "the body is not valid JSON: " + message : where + ": " + message;
    }

    static ProblemDetail problem(HttpStatus status, String title, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setTitle(title);
        p.setType(URI.create("about:blank"));
        return p;
    }
}
