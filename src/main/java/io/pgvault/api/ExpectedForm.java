package io.pgvault.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * How a value of a type is written in a request, with an example, for errors that name the field and the
 * form it needs: "expected a date and time with a UTC offset, e.g. ..." says what to change, where the
 * parser's own message ("could not be parsed at index 19") does not.
 */
final class ExpectedForm {

    private ExpectedForm() {
    }

    /** The form, or null for a type this knows nothing about (the parser's message is used then). */
    static String of(Class<?> type) {
        if (type == OffsetDateTime.class || type == ZonedDateTime.class || type == Instant.class) {
            return "an ISO-8601 date and time with a UTC offset, e.g. 2026-11-25T10:42:00+01:00 or "
                    + "2026-11-25T10:42:00Z";
        }
        if (type == LocalDate.class) {
            return "an ISO-8601 date, e.g. 2026-11-25";
        }
        if (type == Duration.class) {
            return "an ISO-8601 duration, e.g. PT24H, PT30M or P7D";
        }
        if (type == ZoneId.class) {
            return "a time zone ID, e.g. Europe/Berlin or UTC";
        }
        if (type == UUID.class) {
            return "a UUID, e.g. 3f2b8c1e-5d4a-4e6b-9c7d-0a1b2c3d4e5f";
        }
        if (type.isEnum()) {
            return "one of " + Arrays.stream(type.getEnumConstants()).map(c -> name(type, (Enum<?>) c))
                    .collect(Collectors.joining(", "));
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class
                || type == Short.class || type == short.class) {
            return "a whole number";
        }
        if (type == Double.class || type == double.class || type == Float.class || type == float.class
                || type == java.math.BigDecimal.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a JSON array";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "a JSON object";
        }
        return null;
    }

    /** A value as the request had it, if it is short and printable enough to quote in an answer. */
    static String quote(Object value) {
        String s = String.valueOf(value);
        if (s.length() > 64 || s.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return null;
        }
        return value instanceof String ? "\"" + s + "\"" : s;
    }

    private static String name(Class<?> type, Enum<?> constant) {
        try {
            JsonProperty property = type.getField(constant.name()).getAnnotation(JsonProperty.class);
            return property != null && !property.value().isEmpty() ? property.value() : constant.name();
        } catch (NoSuchFieldException e) {
            return constant.name();
        }
    }
}
