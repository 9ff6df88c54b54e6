package io.pgvault.cluster.web;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** The outcome of {@code POST /clusters/{name}/check}: ok when every check passed. */
@Schema(description = "The outcome of a cluster check: ok when every check passed")
record CheckResponse(
        String cluster,
        @Schema(description = "true when every check passed")
        boolean ok,
        List<Item> checks) {

    /** One check. */
    @Schema(name = "CheckItem", description = "One check (connection, version, tools, archiving, privileges...) and "
            + "its verdict")
    record Item(String name, boolean ok, @Schema(description = "what was found, or what to fix") String detail) {
    }
}
