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

    /**
     * One check: {@code detail} says what was found and what to change; {@code fix} is that change alone (null
     * when ok); {@code setting} and {@code value} name the server setting and its effective value, where one
     * setting is concerned.
     */
    @Schema(name = "CheckItem", description = "One check (connection, server-version, tools, wal-level, archive-mode, "
            + "archive-command, archiver, archiving, privileges, replication) and its verdict")
    record Item(String name, boolean ok,
            @Schema(description = "what was found and, when it failed, what to change") String detail,
            @Schema(description = "the server setting concerned, when one is") String setting,
            @Schema(description = "that setting's effective value") String value,
            @Schema(description = "the change alone (a setting, SQL or command, and whether a reload or restart "
                    + "applies it); absent when ok") String fix) {
    }
}
