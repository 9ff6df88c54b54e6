package io.pgvault.e2e;

import com.networknt.schema.Error;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Checks real answers against an OpenAPI 3.1 document: the status must be listed for the operation (or a range
 * or {@code default}), the media type must be one the answer documents, required headers must be there, and a
 * JSON body must match the documented schema. Schemas are JSON Schema 2020-12 in OpenAPI 3.1, so they are
 * checked with networknt's OpenAPI 3.1 dialect against the document itself ({@code $ref}s resolve into it).
 * swagger-request-validator-core 2.46.1 (its newest 2.x; 3.0.0 only points to a renamed artifact) finds nothing
 * wrong in any body against a 3.1 document, not even an object where a string is documented.
 *
 * <p>Every answer marks its operation exercised; mismatches are collected, not thrown, so that one run lists
 * them all.
 */
final class OpenApiConformance {

    /** Where the document is registered for {@code $ref} resolution; never fetched. */
    private static final String DOCUMENT = "https://pgvault.test/openapi.json";
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

    private final JsonNode document;
    private final SchemaRegistry schemas;
    private final Map<Pattern, String> templates = new LinkedHashMap<>();
    private final Set<String> exercised = new TreeSet<>();
    private final Set<String> mismatches = new LinkedHashSet<>();

    OpenApiConformance(String documentJson) {
        this.document = Api.JSON.readTree(documentJson);
        this.schemas = SchemaRegistry.withDefaultDialect(Dialects.getOpenApi31(),
                builder -> builder.schemas(Map.of(DOCUMENT, documentJson)));
        // literal paths before templated ones: /backups/{id} must not swallow a literal sibling
        document.path("paths").propertyNames().stream()
                .sorted(Comparator.comparingInt((String p) -> p.split("\\{").length).thenComparing(p -> p))
                .forEach(p -> templates.put(Pattern.compile(
                        Pattern.quote(p).replaceAll("\\{[^}]+}", "\\\\E[^/]+\\\\Q")), p));
    }

    /** The OpenAPI version the document declares ({@code 3.1.0}). */
    String version() {
        return document.path("openapi").asString();
    }

    /** Every operation of the document, as {@code METHOD /path/{template}}. */
    Set<String> operations() {
        Set<String> all = new TreeSet<>();
        for (String path : document.path("paths").propertyNames()) {
            for (String method : document.path("paths").path(path).propertyNames()) {
                if (METHODS.contains(method)) {
                    all.add(method.toUpperCase(Locale.ROOT) + " " + path);
                }
            }
        }
        return all;
    }

    Set<String> exercised() {
        return exercised;
    }

    /** What differed, in the order the answers came, each once. */
    List<String> mismatches() {
        return List.copyOf(mismatches);
    }

    /** Checks one answer to {@code method uri}; {@code what} says which request it was in a mismatch. */
    void check(String what, String method, URI uri, HttpResponse<byte[]> answer) {
        check(what, method, uri, new Answer(answer.statusCode(), answer.headers(), answer.body()));
    }

    /** An HTTP answer: status, headers, body. */
    record Answer(int statusCode, HttpHeaders headers, byte[] body) {
    }

    void check(String what, String method, URI uri, Answer answer) {
        String template = template(uri.getPath(), method);
        String label = method + " " + uri.getPath() + " (" + what + ") -> " + answer.statusCode();
        JsonNode operation = template == null ? null
                : document.path("paths").path(template).get(method.toLowerCase(Locale.ROOT));
        if (operation == null) {
            mismatches.add(label + ": no such operation in the document");
            return;
        }
        exercised.add(method + " " + template);
        String statusKey = statusKey(operation.path("responses"), answer.statusCode());
        if (statusKey == null) {
            mismatches.add(label + ": status not documented (documented: "
                    + operation.path("responses").propertyNames() + ")");
            return;
        }
        JsonNode response = operation.path("responses").path(statusKey);
        checkHeaders(label, response, answer);
        checkBody(label, response, answer);
    }

    private void checkHeaders(String label, JsonNode response, Answer answer) {
        for (String header : response.path("headers").propertyNames()) {
            if (response.path("headers").path(header).path("required").asBoolean()
                    && answer.headers().firstValue(header).isEmpty()) {
                mismatches.add(label + ": required header " + header + " missing");
            }
        }
    }

    private void checkBody(String label, JsonNode response, Answer answer) {
        String contentType = answer.headers().firstValue("Content-Type").map(OpenApiConformance::mediaType)
                .orElse(null);
        JsonNode content = response.path("content");
        boolean hasBody = answer.body().length > 0;
        if (!hasBody) {
            if (!content.isEmpty() && answer.statusCode() != 204) {
                mismatches.add(label + ": empty body, but the document describes " + content.propertyNames());
            }
            return;
        }
        if (content.isEmpty()) {
            mismatches.add(label + ": answers " + contentType + ", but the document describes no body");
            return;
        }
        String documented = documentedMediaType(content, contentType);
        if (documented == null) {
            mismatches.add(label + ": answers " + contentType + ", documented are " + content.propertyNames());
            return;
        }
        JsonNode schema = content.path(documented).get("schema");
        if (schema == null || !isJson(contentType)) {
            return;
        }
        String body = new String(answer.body(), StandardCharsets.UTF_8);
        JsonNode json;
        try {
            json = Api.JSON.readTree(body);
        } catch (RuntimeException e) {
            mismatches.add(label + ": " + contentType + " body is not JSON: " + abbreviate(body));
            return;
        }
        List<Error> errors = schemas.getSchema(absoluteRefs(schema.deepCopy())).validate(json);
        for (Error error : errors) {
            mismatches.add(label + ": body does not match " + schemaName(schema) + ": " + error
                    + " [" + abbreviate(body) + "]");
        }
    }

    /** The first path of the document, literal ones first, that matches {@code path} and has {@code method}. */
    private String template(String path, String method) {
        return templates.entrySet().stream().filter(e -> e.getKey().matcher(path).matches()).map(Map.Entry::getValue)
                .filter(t -> document.path("paths").path(t).has(method.toLowerCase(Locale.ROOT)))
                .findFirst().orElse(null);
    }

    /** The documented key for a status: the status itself, its range ({@code 4XX}), or {@code default}. */
    private static String statusKey(JsonNode responses, int status) {
        String exact = Integer.toString(status);
        String range = status / 100 + "XX";
        for (String key : List.of(exact, range, range.toLowerCase(Locale.ROOT), "default")) {
            if (responses.has(key)) {
                return key;
            }
        }
        return null;
    }

    /** The documented media type that covers {@code actual}: itself first, then {@code type/*}, then {@code * /*}. */
    private static String documentedMediaType(JsonNode content, String actual) {
        if (actual == null) {
            return content.has("*/*") ? "*/*" : null;
        }
        for (String candidate : List.of(actual, actual.substring(0, actual.indexOf('/') + 1) + "*", "*/*")) {
            for (String key : content.propertyNames()) {
                if (mediaType(key).equals(candidate)) {
                    return key;
                }
            }
        }
        return null;
    }

    private static boolean isJson(String mediaType) {
        return mediaType != null && (mediaType.equals("application/json") || mediaType.endsWith("+json"));
    }

    private static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    private static String schemaName(JsonNode schema) {
        String ref = schema.path("$ref").asString("");
        return ref.isEmpty() ? schema.toString() : ref.substring(ref.lastIndexOf('/') + 1);
    }

    /** The schema with its document-relative {@code $ref}s ({@code #/components/...}) made absolute. */
    private static JsonNode absoluteRefs(JsonNode schema) {
        if (schema instanceof ObjectNode object) {
            JsonNode ref = object.get("$ref");
            if (ref != null && ref.isString() && ref.asString().startsWith("#")) {
                object.put("$ref", DOCUMENT + ref.asString());
            }
            object.propertyNames().forEach(name -> absoluteRefs(object.get(name)));
        } else if (schema.isArray()) {
            schema.forEach(OpenApiConformance::absoluteRefs);
        }
        return schema;
    }

    private static String abbreviate(String text) {
        String oneLine = text.replaceAll("\\s+", " ");
        return oneLine.length() <= 300 ? oneLine : oneLine.substring(0, 300) + "...";
    }
}
