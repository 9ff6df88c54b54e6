package io.pgvault.extraction.web;

import io.pgvault.extraction.ExtractionPreview;
import io.pgvault.extraction.ExtractionService;
import io.pgvault.extraction.ExtractionSpec;
import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "Extractions")
@RestController
class ExtractionController {

    static final String DROPPED_TABLE = """
            {"target": {"time": "2026-11-25T10:41:59Z"}, "database": "shop", "tables": ["public.orders"]}""";
    static final String BAD_DELETE = """
            {"target": {"time": "2026-11-25T10:41:59Z"}, "database": "shop", "tables": ["public.customers"],
             "into": {"schema": "before_delete"}, "compare": true}""";
    static final String WHOLE_DATABASE = """
            {"target": {"latest": true}, "database": "shop", "into": {"cluster": "staging", "database": "shop_copy"}}""";
    static final String FROM_DUMP = """
            {"backupId": "0b6f3c1e-9a9e-4f55-a2a1-6f0e0c1d2e3f", "tables": ["public.orders"],
             "into": {"schema": "from_dump"}}""";
    static final String PREVIEW = """
            {"target": {"time": "2026-11-25T10:41:59Z"}, "database": "shop", "tables": ["public.orders"],
             "dryRun": true}""";

    private final ExtractionService extractions;

    ExtractionController(ExtractionService extractions) {
        this.extractions = extractions;
    }

    @ApiResponse(responseCode = "202", description = "An EXTRACTION job, QUEUED; its result lists each table with "
            + "its row count (and the live one with compare), the recovered LSN and time, and the wall time",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = JobResponse.class)))
    @ApiResponse(responseCode = "200", description = "dryRun: what the extraction would use and do; nothing started",
            content = @Content(mediaType = "application/json",
                    schema = @Schema(implementation = ExtractionPreview.class)))
    @ApiResponse(responseCode = "400", description = "No target or backupId, a target outside the recovery window, "
            + "an unknown database, table or schema (with close matches), an unknown destination cluster, or a "
            + "selection that does not fit the destination, or a destination database that is template0, template1 "
            + "or postgres without allowSystemDatabase")
    @ApiResponse(responseCode = "403", description = "The token's role does not allow extractions, or replace or "
            + "allowSystemDatabase without ADMIN")
    @ApiResponse(responseCode = "409", description = "No backup reaches the target, a WAL segment it needs is "
            + "missing, the destination already holds tables of the same names (without replace), or a DUMP's "
            + "tables need objects that the destination lacks and the dump does not hold (each is named)")
    @Operation(operationId = "extractFromCluster", summary = "Recover tables, schemas or a database as of a point "
            + "in time, without a full restore", description = """
            The job recovers the BASE backup and WAL before the target into a scratch server (below the drill \
            directory, as the PostgreSQL OS user, on a free port), dumps only the selection (tables with their \
            indexes, constraints, owned sequences and their values), restores it into the destination in one \
            transaction, and removes the scratch server whatever happens. With target latest and a DUMP newer than \
            the WAL archive, or with backupId naming a DUMP, the selection comes from the dump instead. By default \
            the tables go into a new schema pgvault_recovered_<time> of the source database, next to the live ones; \
            a whole database goes into a new database. A partitioned table brings every partition at every level \
            (an inheritance parent its children); a partition named alone comes as a table of its own. What the \
            tables need that the destination lacks (their schema, types, domains, functions) comes along, and the \
            restore must find the source's row count in every table before it commits. Foreign keys to tables that are not extracted are left out \
            (the result lists them). Names are checked before anything starts, against what the backup holds \
            (GET /backups/{id}/contents). dryRun: true answers 200 with what would be done instead of 202.""")
    @PreAuthorize("hasRole('ADMIN') or hasRole('OPERATOR') and #request?.replace() != true"
            + " and #request?.allowSystemDatabase() != true")
    @PostMapping("/api/v1/clusters/{name}/extractions")
    ResponseEntity<?> extract(@PathVariable String name,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "What to recover, as of when, and "
                    + "where to", content = @Content(mediaType = "application/json",
                    schema = @Schema(implementation = ExtractionSpec.class), examples = {
                    @ExampleObject(name = "dropped-table", summary = "A table dropped at 10:42, back next to the live "
                            + "ones", description = "into a new schema pgvault_recovered_<time> of database shop",
                            value = DROPPED_TABLE),
                    @ExampleObject(name = "bad-delete", summary = "Rows deleted by mistake: the table a second "
                            + "before", description = "into schema before_delete, with live and recovered row "
                            + "counts side by side", value = BAD_DELETE),
                    @ExampleObject(name = "whole-database", summary = "A whole database onto another cluster",
                            description = "into a new database on registered cluster staging",
                            value = WHOLE_DATABASE),
                    @ExampleObject(name = "from-dump", summary = "One table out of a DUMP backup",
                            description = "backupId names a CUSTOM, DIRECTORY or TAR dump", value = FROM_DUMP),
                    @ExampleObject(name = "dry-run", summary = "Only tell what would be used",
                            description = "answers 200 with the backup, the WAL range and the expected time",
                            value = PREVIEW)}))
            @RequestBody ExtractionSpec request) {
        ExtractionService.Outcome outcome = extractions.start(name, request, false);
        return outcome.job() != null ? Accepted.job(outcome.job()) : ResponseEntity.ok(outcome.preview());
    }

    @ApiResponse(responseCode = "200", description = "What the extraction would use and do; nothing started")
    @ApiResponse(responseCode = "400", description = "As for the extraction itself")
    @ApiResponse(responseCode = "403", description = "As for the extraction itself")
    @ApiResponse(responseCode = "409", description = "As for the extraction itself")
    @Operation(operationId = "previewExtraction", summary = "What an extraction would use and do, without starting it",
            description = "The same request and checks as POST /clusters/{name}/extractions, always answered as a "
                    + "dry run: the backup, the WAL range, the destination and the expected time.")
    @PreAuthorize("hasRole('ADMIN') or hasRole('OPERATOR') and #request?.replace() != true"
            + " and #request?.allowSystemDatabase() != true")
    @PostMapping("/api/v1/clusters/{name}/extractions/preview")
    ExtractionPreview preview(@PathVariable String name,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "An extraction request",
                    content = @Content(mediaType = "application/json",
                            schema = @Schema(implementation = ExtractionSpec.class),
                            examples = @ExampleObject(name = "dropped-table", value = DROPPED_TABLE)))
            @RequestBody ExtractionSpec request) {
        return extractions.start(name, request, true).preview();
    }
}
