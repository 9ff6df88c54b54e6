package io.pgvault.api;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The two ways to change a resource: {@code PUT} sends its whole representation (every field present, null
 * clears one), {@code PATCH} sends a JSON Merge Patch (RFC 7396) of it, applied to the current representation.
 * Both end in the same request record, validated like a POST body, so the two paths cannot drift apart.
 */
@Component
public class Representations {

    /** The media type of RFC 7396; PATCH also accepts plain application/json. */
    public static final String MERGE_PATCH = "application/merge-patch+json";

    private final JsonMapper json;
    private final Validator validator;

    Representations(JsonMapper json, Validator validator) {
        this.json = json;
        this.validator = validator;
    }

    /**
     * A PUT body as {@code type}: refused (400, naming them all) when a field other than {@code optional}
     * ones (the write-only secrets, the name that is in the path) is left out, because leaving one out
     * would silently reset it.
     */
    public <T extends Record> T complete(JsonNode body, Class<T> type, String resource, Set<String> optional) {
        ObjectNode object = object(body);
        List<String> missing = Stream.of(type.getRecordComponents()).map(c -> c.getName())
                .filter(f -> !optional.contains(f) && !object.has(f)).toList();
        if (!missing.isEmpty()) {
            Map<String, String> errors = new LinkedHashMap<>();
            missing.forEach(f -> errors.put(f, "missing"));
            throw new InvalidFieldsException("PUT replaces the whole " + resource + " and needs every field; missing: "
                    + String.join(", ", missing) + " (send null to clear one, or PATCH with "
                    + MERGE_PATCH + " to change only the fields you name)", errors);
        }
        return valid(read(object, type));
    }

    /** {@code current} with {@code patch} merged into it (RFC 7396: null removes, objects merge), as {@code type}. */
    public <T extends Record> T patch(T current, JsonNode patch, Class<T> type) {
        ObjectNode merged = json.valueToTree(current);
        return valid(read(merge(merged, object(patch)), type));
    }

    /** RFC 7396 section 2, in place on {@code target}. */
    static ObjectNode merge(ObjectNode target, ObjectNode patch) {
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            JsonNode value = e.getValue();
            if (value.isNull()) {
                target.remove(e.getKey());
            } else if (value.isObject() && target.get(e.getKey()) instanceof ObjectNode existing) {
                merge(existing, (ObjectNode) value);
            } else if (value.isObject()) {
                target.set(e.getKey(), merge(target.objectNode(), (ObjectNode) value));
            } else {
                target.set(e.getKey(), value);
            }
        }
        return target;
    }

    private static ObjectNode object(JsonNode body) {
        if (body instanceof ObjectNode o) {
            return o;
        }
        throw new InvalidRequestException("the body must be a JSON object");
    }

    private <T> T read(ObjectNode node, Class<T> type) {
        try {
            return json.treeToValue(node, type);
        } catch (JacksonException e) {
            throw new InvalidRequestException(ProblemHandler.describe(e));
        }
    }

    private <T> T valid(T value) {
        Set<ConstraintViolation<T>> violations = validator.validate(value);
        if (violations.isEmpty()) {
            return value;
        }
        Map<String, String> errors = violations.stream()
                .sorted(Comparator.comparing(v -> v.getPropertyPath().toString()))
                .collect(Collectors.toMap(v -> v.getPropertyPath().toString(), ConstraintViolation::getMessage,
                        (a, b) -> a + "; " + b, LinkedHashMap::new));
        throw new InvalidFieldsException(errors.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining("; ")), errors);
    }

    /** 400 with one entry per field in the problem's {@code errors}, as for an invalid POST body. */
    public static final class InvalidFieldsException extends InvalidRequestException {

        private final Map<String, String> errors;

        InvalidFieldsException(String message, Map<String, String> errors) {
            super(message);
            this.errors = Map.copyOf(errors);
        }

        List<Map<String, String>> errors() {
            return errors.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(e -> Map.of("field", e.getKey(), "message", e.getValue())).toList();
        }
    }
}
