package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The served OpenAPI document is a contract: clients are generated from its snapshot {@code api/openapi.json}, so
 * a change to it must be a change to that file in the same commit, and it must say what the server really
 * answers (statuses, media types, problem+json errors) with descriptions and examples a generator carries over.
 * {@code -Dpgvault.openapi.write=true} rewrites the snapshot instead of failing.
 */
class OpenApiDocumentTests extends EndToEndTest {

    static final Path SNAPSHOT = Path.of("api", "openapi.json");
    private static final JsonMapper PRETTY = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
    private static final List<String> TAG_ORDER = List.of("Clusters", "Backups", "Jobs", "Restores", "Wal archive",
            "Proofs", "Recoveries", "Extractions", "Schedules", "Retention", "Repositories", "Instances", "Notifications", "Tokens",
            "Audit");
    private static final Set<String> RECOVERY_TARGETS = Set.of("time", "lsn", "xid", "name", "latest", "immediate");

    /** The served document without its servers, which name the test server's random port. */
    private JsonNode served() {
        Api.Response r = api.get("/v3/api-docs");
        assertThat(r.status()).isEqualTo(200);
        JsonNode doc = r.json();
        ((ObjectNode) doc).remove("servers");
        return doc;
    }

    @Test
    void servedDocumentIsTheSnapshot() throws IOException {
        JsonNode served = served();
        if (Boolean.getBoolean("pgvault.openapi.write")) {
            Files.createDirectories(SNAPSHOT.getParent());
            Files.writeString(SNAPSHOT, PRETTY.writeValueAsString(served) + "\n");
            return;
        }
        if (!Files.exists(SNAPSHOT)) {
            fail(SNAPSHOT + " is missing; write it with ./mvnw test -Dtest=OpenApiDocumentTests "
                    + "-Dpgvault.openapi.write=true");
        }
        JsonNode snapshot = Api.JSON.readTree(Files.readString(SNAPSHOT));
        if (!served.equals(snapshot)) {
            List<String> differences = new ArrayList<>();
            differences(snapshot, served, "", differences);
            fail("the served /v3/api-docs differs from " + SNAPSHOT + ", the API contract clients are generated "
                    + "from, at " + String.join(", ", differences.subList(0, Math.min(20, differences.size())))
                    + (differences.size() > 20 ? " and " + (differences.size() - 20) + " more places" : "")
                    + ". If the change is intended, refresh the file with ./mvnw test -Dtest=OpenApiDocumentTests "
                    + "-Dpgvault.openapi.write=true and commit it with the change.");
        }
    }

    /** The JSON pointers where {@code actual} differs from {@code expected}, deepest first found. */
    private static void differences(JsonNode expected, JsonNode actual, String at, List<String> found) {
        if (expected.equals(actual)) {
            return;
        }
        if (expected.isObject() && actual.isObject()) {
            Set<String> names = new TreeSet<>(expected.propertyNames());
            names.addAll(actual.propertyNames());
            names.forEach(n -> differences(expected.path(n), actual.path(n),
                    at + "/" + n.replace("~", "~0").replace("/", "~1"), found));
        } else if (expected.isArray() && actual.isArray() && expected.size() == actual.size()) {
            for (int i = 0; i < expected.size(); i++) {
                differences(expected.get(i), actual.get(i), at + "/" + i, found);
            }
        } else {
            found.add(at.isEmpty() ? "/" : at);
        }
    }

    @Test
    void everyOperationAnswersASuccessWithAConcreteMediaType() {
        forEachOperation(served(), (where, op) -> {
            List<String> successes = new ArrayList<>();
            op.path("responses").properties().forEach(e -> {
                if (e.getKey().startsWith("2")) {
                    successes.add(e.getKey());
                    assertThat(e.getValue().path("description").asString()).as(where + " " + e.getKey()).isNotBlank();
                    assertThat(e.getValue().path("content").propertyNames()).as(where + " " + e.getKey())
                            .doesNotContain("*/*");
                }
            });
            assertThat(successes).as(where + ": a 2xx response").isNotEmpty();
            assertThat(op.path("operationId").asString()).as(where + ": operationId")
                    .matches("[a-z][A-Za-z]+");
        });
    }

    @Test
    void everyOperationDocumentsItsErrorsAsProblems() {
        JsonNode doc = served();
        assertThat(doc.at("/components/schemas/Problem/properties").propertyNames())
                .contains("type", "title", "status", "detail", "instance", "errors");
        forEachOperation(doc, (where, op) -> {
            List<String> errors = new ArrayList<>();
            op.path("responses").properties().forEach(e -> {
                if (e.getKey().startsWith("4") || e.getKey().startsWith("5")) {
                    errors.add(e.getKey());
                    JsonNode content = e.getValue().path("content");
                    assertThat(content.propertyNames()).as(where + " " + e.getKey())
                            .containsExactly("application/problem+json");
                    assertThat(content.at("/application~1problem+json/schema/$ref").asString())
                            .as(where + " " + e.getKey()).isEqualTo("#/components/schemas/Problem");
                }
            });
            assertThat(errors).as(where).contains("401", "403");
            if (op.has("requestBody") || op.has("parameters")) {
                assertThat(errors).as(where).contains("400");
            }
        });
    }

    /** The Problem schema says what the server really writes: 400 with its fields, 404, and the filters' 401. */
    @Test
    void realErrorsHaveTheDocumentedProblemShape() {
        JsonNode doc = served();
        JsonNode properties = doc.at("/components/schemas/Problem/properties");
        List<Api.Response> answers = List.of(
                api.post("/api/v1/clusters", Map.of("name", "Bad Name", "host", "localhost", "port", 70000)),
                api.get("/api/v1/backups/3f2b8c1e-5d4a-4e6b-9c7d-0a1b2c3d4e5f"),
                api.as(null).get("/api/v1/clusters"));
        assertThat(answers).extracting(Api.Response::status).containsExactly(400, 404, 401);
        answers.forEach(r -> {
            assertThat(r.contentType()).as(r.body()).startsWith("application/problem+json");
            assertThat(properties.propertyNames()).as(r.body()).containsAll(r.json().propertyNames());
            assertThat(r.json().propertyNames()).as(r.body()).contains("type", "title", "status", "detail", "instance");
        });
        assertThat(answers.get(0).json().path("errors").get(0).propertyNames())
                .containsExactlyInAnyOrderElementsOf(doc.at("/components/schemas/FieldError/properties")
                        .propertyNames());
    }

    @Test
    void everyRequestBodyIsDescribedWithAnExample() {
        JsonNode doc = served();
        forEachOperation(doc, (where, op) -> {
            if (!op.has("requestBody")) {
                return;
            }
            JsonNode body = op.path("requestBody");
            assertThat(body.path("description").asString()).as(where + " requestBody description").isNotBlank();
            body.path("content").properties().forEach(media -> {
                JsonNode m = media.getValue();
                String ref = m.at("/schema/$ref").asString();
                JsonNode schema = ref.isEmpty() ? m.path("schema")
                        : doc.at("/components/schemas/" + ref.substring(ref.lastIndexOf('/') + 1));
                boolean example = m.has("example") || m.path("examples").size() > 0 || schema.has("example")
                        || "binary".equals(schema.path("format").asString());
                assertThat(example).as(where + " " + media.getKey() + ": an example").isTrue();
            });
        });
    }

    @Test
    void everySchemaIsDescribed() {
        served().path("components").path("schemas").properties().forEach(s ->
                assertThat(s.getValue().path("description").asString()).as("schema " + s.getKey()).isNotBlank());
    }

    @Test
    void tagsComeInTheOrderAUserWorks() {
        JsonNode doc = served();
        List<String> tags = new ArrayList<>();
        doc.path("tags").forEach(t -> tags.add(t.path("name").asString()));
        assertThat(tags).containsExactlyElementsOf(TAG_ORDER);
        tags.forEach(t -> assertThat(doc.path("tags").findValues("description")).as(t).isNotEmpty());
        forEachOperation(doc, (where, op) -> op.path("tags")
                .forEach(t -> assertThat(TAG_ORDER).as(where).contains(t.asString())));
    }

    @Test
    void eachRecoveryExampleNamesExactlyOneTarget() {
        JsonNode examples = served().at("/paths/~1api~1v1~1clusters~1{name}~1recoveries/post/requestBody/content"
                + "/application~1json/examples");
        Map<String, String> targetByExample = examples.properties().stream().collect(Collectors.toMap(
                Map.Entry::getKey, e -> {
                    JsonNode target = e.getValue().path("value").path("target");
                    List<String> set = target.propertyNames().stream().filter(RECOVERY_TARGETS::contains).toList();
                    assertThat(set).as(e.getKey() + ": " + target).hasSize(1);
                    return set.get(0);
                }));
        assertThat(targetByExample.values()).containsExactlyInAnyOrderElementsOf(RECOVERY_TARGETS);
    }

    /**
     * Each recovery example passes every check of the request (one target, its form, the directory, the port) on a
     * real cluster, and is refused only for what no example can give: a BASE backup of that cluster.
     */
    @Test
    void eachRecoveryExampleIsAcceptedByTheServer() {
        api.register("openapi-examples", PgCluster.shared());
        JsonNode examples = served().at("/paths/~1api~1v1~1clusters~1{name}~1recoveries/post/requestBody/content"
                + "/application~1json/examples");
        assertThat(examples.size()).isEqualTo(RECOVERY_TARGETS.size());
        examples.properties().forEach(e -> {
            Api.Response r = api.post("/api/v1/clusters/openapi-examples/recoveries",
                    Api.JSON.writeValueAsString(e.getValue().path("value")));
            assertThat(r.status()).as(e.getKey() + ": " + r.body()).isEqualTo(409);
            assertThat(r.field("detail")).as(e.getKey()).contains("has no successful BASE backup");
        });
    }

    private static void forEachOperation(JsonNode doc, BiConsumer<String, JsonNode> check) {
        doc.path("paths").properties().forEach(path -> path.getValue().properties().forEach(method -> {
            if (METHODS.contains(method.getKey())) {
                check.accept(method.getKey().toUpperCase() + " " + path.getKey(), method.getValue());
            }
        }));
    }
}
