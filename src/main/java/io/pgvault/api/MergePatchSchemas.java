package io.pgvault.api;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.examples.Example;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.stereotype.Component;

/**
 * PATCH bodies are JSON Merge Patches (RFC 7396, {@link Representations#patch}), so they get schemas of their own:
 * typed with the full request schema, a generated client would demand the fields a registration needs (host,
 * port...) in a patch that changes one, and could not send the null that clears a field. For each PATCH body's
 * schema {@code XRequest} this adds {@code XPatch}: the same properties, none required; those the full
 * representation may lack are nullable (null clears them), those it needs are not (null is refused with 400);
 * an object property refers to its own patch schema (objects merge field by field), a list stays whole (lists are
 * replaced). Made from the request schemas, so the two cannot drift apart.
 */
@Component
class MergePatchSchemas implements OpenApiCustomizer {

    private static final String REF = "#/components/schemas/";

    @Override
    public void customise(OpenAPI openApi) {
        Map<String, Schema> schemas = openApi.getComponents().getSchemas();
        openApi.getPaths().values().forEach(item -> item.readOperationsMap().values().forEach(operation -> {
            Content content = operation.getRequestBody() == null ? null : operation.getRequestBody().getContent();
            if (content == null || !content.containsKey(Representations.MERGE_PATCH)) {
                return;
            }
            Object example = firstExample(content.get(Representations.MERGE_PATCH));
            content.values().forEach(media -> {
                String ref = media.getSchema() == null ? null : media.getSchema().get$ref();
                if (ref != null && ref.startsWith(REF)) {
                    String patch = patchOf(ref.substring(REF.length()), schemas);
                    if (example != null) {
                        schemas.get(patch).setExample(example);
                    }
                    media.setSchema(new Schema<>().$ref(REF + patch));
                }
            });
        }));
    }

    /** The name of the patch schema of {@code name}, made (with those of its objects) when missing. */
    private static String patchOf(String name, Map<String, Schema> schemas) {
        String patchName = (name.endsWith("Request") ? name.substring(0, name.length() - "Request".length()) : name)
                + "Patch";
        if (schemas.containsKey(patchName)) {
            return patchName;
        }
        Schema<?> full = schemas.get(name);
        Schema<Object> patch = new Schema<>();
        patch.setTypes(Set.of("object"));
        patch.setDescription("A JSON Merge Patch (RFC 7396) of a " + name + ": a field left out stays as it is, "
                + "null clears a field that may be cleared (the nullable ones), an object merges field by field, a "
                + "list is replaced whole");
        schemas.put(patchName, patch);
        List<String> required = full.getRequired() == null ? List.of() : full.getRequired();
        Map<String, Schema> properties = new LinkedHashMap<>();
        full.getProperties().forEach((property, schema) -> {
            Schema<?> value = schema;
            String ref = schema.get$ref();
            if (ref != null && ref.startsWith(REF) && isObject(schemas.get(ref.substring(REF.length())))) {
                value = new Schema<>().$ref(REF + patchOf(ref.substring(REF.length()), schemas));
            }
            if (!required.contains(property)) {
                Schema<Object> nullable = new Schema<>();
                nullable.setDescription(schema.getDescription());
                nullable.setAnyOf(List.of(value, nullType()));
                value = nullable;
            }
            properties.put(property, value);
        });
        patch.setProperties(properties);
        return patchName;
    }

    private static boolean isObject(Schema<?> schema) {
        return schema != null && schema.getProperties() != null && !schema.getProperties().isEmpty();
    }

    private static Schema<Object> nullType() {
        Schema<Object> type = new Schema<>();
        type.setTypes(Set.of("null"));
        return type;
    }

    private static Object firstExample(MediaType media) {
        if (media.getExample() != null) {
            return media.getExample();
        }
        Map<String, Example> examples = media.getExamples();
        return examples == null || examples.isEmpty() ? null : examples.values().iterator().next().getValue();
    }
}
