package io.pgvault.api;

import io.swagger.v3.core.converter.ModelConverters;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import java.util.Comparator;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.stereotype.Component;

/**
 * The answers every operation shares, added once here instead of on each controller method: 401 and 403 (every
 * endpoint needs a token, and the role decides), 400 where a parameter or a body can be wrong, 404 where the path
 * names something, 503 when the catalog cannot be reached. Every error answer, these and the ones a method
 * declares with {@code @ApiResponse}, is application/problem+json with the {@link Problem} schema, whatever
 * springdoc would have derived from the method's return type; every 202 carries the job's Location
 * ({@code io.pgvault.job.web.Accepted} always sets it).
 */
@Component
class ErrorResponsesCustomizer implements OpenApiCustomizer {

    private static final String PROBLEM_JSON = "application/problem+json";
    private static final String PROBLEM_REF = "#/components/schemas/Problem";

    @Override
    public void customise(OpenAPI openApi) {
        ModelConverters.getInstance(true).readAll(Problem.class).forEach(openApi.getComponents()::addSchemas);
        openApi.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) ->
                document(path, operation)));
    }

    private static void document(String path, Operation operation) {
        ApiResponses responses = operation.getResponses();
        boolean hasInput = operation.getRequestBody() != null
                || operation.getParameters() != null && !operation.getParameters().isEmpty();
        if (hasInput) {
            responses.putIfAbsent("400", new ApiResponse().description("The request is invalid: a parameter or a "
                    + "field of the body is malformed or not allowed (errors names each field)"));
        }
        responses.putIfAbsent("401", new ApiResponse().description("No bearer token, or one that is unknown, "
                + "revoked or expired").addHeaderObject("WWW-Authenticate", new Header()
                        .description("Bearer realm=\"pgvault\"").schema(new StringSchema())));
        responses.putIfAbsent("403", new ApiResponse().description("The token's role does not allow this "
                + "operation"));
        if (path.contains("{")) {
            responses.putIfAbsent("404", new ApiResponse().description("What the path names does not exist"));
        }
        responses.putIfAbsent("503", new ApiResponse().description("The catalog database cannot be reached, or "
                + "the server is busy; nothing was started or changed, try again after Retry-After seconds"));
        responses.forEach((code, response) -> {
            if (code.startsWith("4") || code.startsWith("5")) {
                response.setContent(new Content().addMediaType(PROBLEM_JSON,
                        new MediaType().schema(new Schema<>().$ref(PROBLEM_REF))));
            }
            if (code.equals("503")) {
                response.addHeaderObject("Retry-After", new Header().description("seconds to wait before asking "
                        + "again").schema(new IntegerSchema()));
            }
            if (code.equals("202")) {
                response.addHeaderObject("Location", new Header().description("the job: /api/v1/jobs/{id}")
                        .schema(new StringSchema().format("uri-reference")));
            }
        });
        ApiResponses sorted = new ApiResponses();
        responses.entrySet().stream().sorted(Map.Entry.comparingByKey(Comparator.naturalOrder()))
                .forEach(e -> sorted.addApiResponse(e.getKey(), e.getValue()));
        operation.setResponses(sorted);
    }
}
