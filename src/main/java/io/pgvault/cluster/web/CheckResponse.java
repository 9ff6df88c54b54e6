package io.pgvault.cluster.web;

import java.util.List;

/** The outcome of {@code POST /clusters/{name}/check}: ok when every check passed. */
record CheckResponse(String cluster, boolean ok, List<Item> checks) {

    /**
     * One check: {@code detail} says what was found and what to change; {@code fix} is that change alone (null
     * when ok); {@code setting} and {@code value} name the server setting and its effective value, where one
     * setting is concerned.
     */
    record Item(String name, boolean ok, String detail, String setting, String value, String fix) {
    }
}
