package io.pgvault.recovery.web;

/**
 * One request per kind of recovery target, for the OpenAPI document: Swagger UI would otherwise build its example
 * from the properties and fill time, lsn and xid at once, which the server refuses (a target holds exactly one).
 * OpenApiDocumentTests checks that each is accepted.
 */
final class RecoveryExamples {

    static final String TIME = """
            {"target": {"time": "2026-11-25T10:42:00+01:00"}, "dataDirectory": "/var/lib/postgresql/recovered"}""";
    static final String LSN = """
            {"target": {"lsn": "0/3000060"}, "inclusive": false, "dataDirectory": "/var/lib/postgresql/recovered"}""";
    static final String XID = """
            {"target": {"xid": 748}, "action": "pause", "dataDirectory": "/var/lib/postgresql/recovered"}""";
    static final String NAME = """
            {"target": {"name": "before-migration"}, "dataDirectory": "/var/lib/postgresql/recovered"}""";
    static final String LATEST = """
            {"target": {"latest": true}, "dataDirectory": "/var/lib/postgresql/recovered"}""";
    static final String IMMEDIATE = """
            {"target": {"immediate": true}, "dataDirectory": "/var/lib/postgresql/recovered", "start": false}""";

    private RecoveryExamples() {
    }
}
