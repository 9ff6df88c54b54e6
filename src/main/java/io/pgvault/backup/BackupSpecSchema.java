package io.pgvault.backup;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * The API document's one shape of every {@link BackupSpec}, whatever its kind: named {@code BackupSpec}, with every
 * option, as the document showed it before the spec became one record per kind. Only the document uses it
 * ({@code @Schema(implementation = BackupSpecSchema.class)} where a response carries a spec); a schema per kind
 * under a {@code oneOf} would change the document and trip generated clients, and the JSON did not change.
 */
@Schema(name = "BackupSpec", description = "The options a backup was taken with (the backup request as stored, "
        + "lists empty when not given)")
public record BackupSpecSchema(
        BackupKind kind,
        String database,
        DumpFormat format,
        @Schema(description = "the compression level used")
        Integer compression,
        @Schema(description = "parallel pg_dump workers")
        Integer jobs,
        List<String> tables,
        List<String> excludeTables,
        List<String> schemas,
        List<String> excludeSchemas,
        boolean schemaOnly,
        boolean dataOnly,
        boolean globalsOnly,
        boolean noOwner,
        boolean noPrivileges,
        String label,
        CompressionMethod compressionMethod,
        CompressionSite compressAt,
        WalMethod walMethod,
        CheckpointMode checkpoint,
        @Schema(description = "BASE: transfer limit in kB/s")
        Integer maxRate,
        @Schema(description = "BASE with ZSTD: zstd threads used")
        Integer compressionWorkers,
        @Schema(description = "BASE in format BLOCKS: FULL, DIFF or INCR as asked (the backup's own type says what "
                + "was taken)")
        BackupType type,
        @Schema(description = "BASE in format BLOCKS read on the data directory's host: true reads every file "
                + "(unchanged blocks found by their hashes) instead of reusing files by size and mtime")
        Boolean checksumDelta) {
}
