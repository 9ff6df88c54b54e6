package io.pgvault.backup.web;

import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupContents;
import io.pgvault.backup.BackupView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.UUID;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "Backups")
@RestController
class BackupContentsController {

    private final BackupCatalog backups;
    private final BackupContents contents;

    BackupContentsController(BackupCatalog backups, BackupContents contents) {
        this.backups = backups;
        this.contents = contents;
    }

    @ApiResponse(responseCode = "200", description = "The databases, schemas and tables in the backup")
    @ApiResponse(responseCode = "409", description = "The backup did not succeed, or pgvault holds no list of its "
            + "contents (a BASE backup taken before pgvault recorded them)")
    @Operation(operationId = "getBackupContents", summary = "What is in a backup: databases, schemas, tables",
            description = """
            BASE: every database of the cluster, read from its catalogs when the backup started. DUMP: the dumped \
            database's tables that the archive's table of contents holds, with row estimates (pg_class.reltuples) \
            and sizes from the catalogs when the dump started (and the exact row counts of its snapshot). A \
            partitioned table shows its partitions as a tree, with rows per partition. Extractions and restores \
            check the names they are given against this list.""")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping("/api/v1/backups/{id}/contents")
    BackupContentsResponse contents(@PathVariable UUID id) {
        BackupView backup = backups.get(id);
        java.util.Map<String, Long> counted = new java.util.LinkedHashMap<>();
        backups.tableRows(id).forEach(t -> counted.put(t.schema() + "." + t.table(), t.rows()));
        return BackupContentsResponse.of(backup, contents.of(backup), counted);
    }
}
