package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The checker of {@link ApiConformanceTests} on a small OpenAPI 3.1 document: it must pass what the document
 * allows (3.1 type arrays such as {@code ["integer", "null"]}, {@code $ref}s into components, media type
 * ranges) and name each real difference, so that its reports on pgvault's document can be trusted both ways.
 */
class OpenApiConformanceTests {

    static final String DOCUMENT = """
            {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
             "paths": {
              "/api/v1/jobs/{id}": {"get": {"responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}},
                "404": {"description": "no such job",
                        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}}},
              "/api/v1/jobs/{id}/log": {"get": {"responses": {
                "200": {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
              "/api/v1/jobs": {"post": {"responses": {
                "202": {"description": "Accepted", "headers": {"Location": {"required": true, "schema": {"type": "string"}}},
                        "content": {"*/*": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}}}}},
                "4XX": {"description": "refused",
                        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}}}},
             "components": {"schemas": {
              "Job": {"type": "object", "required": ["id", "status"], "properties": {
                "id": {"type": "string", "format": "uuid"}, "status": {"type": "string", "enum": ["QUEUED", "SUCCEEDED"]},
                "result": {"type": ["object", "null"]}, "bytesTotal": {"type": ["integer", "null"], "format": "int64"}}},
              "Problem": {"type": "object", "required": ["status"], "properties": {
                "status": {"type": "integer"}, "detail": {"type": "string"}}}}}}""";

    static final String JOB = "{\"id\": \"6f1c2a9e-7b00-4c3d-9a1e-0123456789ab\", \"status\": \"SUCCEEDED\", "
            + "\"result\": {\"port\": 5433}, \"bytesTotal\": null}";

    final OpenApiConformance conformance = new OpenApiConformance(DOCUMENT);

    @Test
    void passesWhatTheDocumentAllows() {
        check("GET", "/api/v1/jobs/1", 200, "application/json", JOB);
        check("GET", "/api/v1/jobs/1", 404, "application/problem+json", "{\"status\": 404, \"detail\": \"no job 1\"}");
        check("GET", "/api/v1/jobs/1/log", 200, "text/plain;charset=UTF-8", "line 1\n");
        answer("POST", "/api/v1/jobs", 202, Map.of("Content-Type", "application/json", "Location", "/api/v1/jobs/1"),
                "[" + JOB + "]");
        check("POST", "/api/v1/jobs", 403, "application/problem+json", "{\"status\": 403}");

        assertThat(conformance.mismatches()).isEmpty();
        assertThat(conformance.version()).isEqualTo("3.1.0");
        assertThat(conformance.operations()).containsExactly("GET /api/v1/jobs/{id}", "GET /api/v1/jobs/{id}/log",
                "POST /api/v1/jobs");
        assertThat(conformance.exercised()).isEqualTo(conformance.operations());
    }

    @Test
    void namesEachRealDifference() {
        check("GET", "/api/v1/jobs/1", 200, "application/json", JOB.replace("{\"port\": 5433}", "\"port 5433\""));
        check("GET", "/api/v1/jobs/1", 200, "application/json", JOB.replace("SUCCEEDED", "SLEEPING"));
        check("GET", "/api/v1/jobs/1", 404, "application/json", "{\"status\": 404}");
        check("GET", "/api/v1/jobs/1", 409, "application/problem+json", "{\"status\": 409}");
        check("GET", "/api/v1/jobs/1", 200, "application/json", "");
        answer("POST", "/api/v1/jobs", 202, Map.of("Content-Type", "application/json"), "[{\"status\": \"QUEUED\"}]");
        check("DELETE", "/api/v1/jobs/1", 204, null, "");

        List<String> mismatches = conformance.mismatches();
        assertThat(mismatches).as(String.join("\n", mismatches)).hasSize(8);
        assertThat(mismatches.get(0)).contains("GET /api/v1/jobs/1").contains("-> 200").contains("Job")
                .contains("result");
        assertThat(mismatches.get(1)).contains("status").contains("SLEEPING");
        assertThat(mismatches.get(2)).contains("answers application/json").contains("application/problem+json");
        assertThat(mismatches.get(3)).contains("-> 409: status not documented (documented: [200, 404])");
        assertThat(mismatches.get(4)).contains("empty body");
        assertThat(mismatches.get(5)).contains("required header Location missing");
        assertThat(mismatches.get(6)).contains("POST /api/v1/jobs").contains("id");
        assertThat(mismatches.get(7)).contains("DELETE /api/v1/jobs/1").contains("no such operation");
    }

    private void check(String method, String path, int status, String contentType, String body) {
        answer(method, path, status, contentType == null ? Map.of() : Map.of("Content-Type", contentType), body);
    }

    private void answer(String method, String path, int status, Map<String, String> headers, String body) {
        HttpHeaders httpHeaders = HttpHeaders.of(headers.entrySet().stream().collect(java.util.stream.Collectors
                .toMap(Map.Entry::getKey, e -> List.of(e.getValue()))), (name, value) -> true);
        conformance.check("test", method, URI.create("http://127.0.0.1" + path),
                new OpenApiConformance.Answer(status, httpHeaders, body.getBytes(StandardCharsets.UTF_8)));
    }
}
