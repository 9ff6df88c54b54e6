package io.pgvault.cluster.web;

import java.util.List;

/** The outcome of {@code POST /clusters/{name}/check}: ok when every check passed. */
record CheckResponse(String cluster, boolean ok, List<Item> checks) {

    /** One check. */
    record Item(String name, boolean ok, String detail) {
    }
}
