package io.pgvault.backup;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * What to back up and how: the options a backup was asked for, stored with it as JSON. The last six
 * apply to BASE backups only; {@code compression} is the level for every kind. {@code compressionWorkers}
 * is the number of zstd threads; a BASE backup records the number it ran with.
 */
@Schema(description = "The options a backup was taken with (the backup request as stored, lists empty "
        + "when not given)")
public record BackupSpec(
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

    public BackupSpec {
        tables = tables == null ? List.of() : List.copyOf(tables);
        excludeTables = excludeTables == null ? List.of() : List.copyOf(excludeTables);
        schemas = schemas == null ? List.of() : List.copyOf(schemas);
        excludeSchemas = excludeSchemas == null ? List.of() : List.copyOf(excludeSchemas);
    }

    /** A spec without a backup type (everything before block-store backups). */
    public BackupSpec(BackupKind kind, String database, DumpFormat format, Integer compression, Integer jobs,
            List<String> tables, List<String> excludeTables, List<String> schemas, List<String> excludeSchemas,
            boolean schemaOnly, boolean dataOnly, boolean globalsOnly, boolean noOwner, boolean noPrivileges,
            String label, CompressionMethod compressionMethod, CompressionSite compressAt, WalMethod walMethod,
            CheckpointMode checkpoint, Integer maxRate, Integer compressionWorkers) {
        this(kind, database, format, compression, jobs, tables, excludeTables, schemas, excludeSchemas, schemaOnly,
                dataOnly, globalsOnly, noOwner, noPrivileges, label, compressionMethod, compressAt, walMethod,
                checkpoint, maxRate, compressionWorkers, null, null);
    }

    /** A spec with a backup type and no checksumDelta (as before host reading). */
    public BackupSpec(BackupKind kind, String database, DumpFormat format, Integer compression, Integer jobs,
            List<String> tables, List<String> excludeTables, List<String> schemas, List<String> excludeSchemas,
            boolean schemaOnly, boolean dataOnly, boolean globalsOnly, boolean noOwner, boolean noPrivileges,
            String label, CompressionMethod compressionMethod, CompressionSite compressAt, WalMethod walMethod,
            CheckpointMode checkpoint, Integer maxRate, Integer compressionWorkers, BackupType type) {
        this(kind, database, format, compression, jobs, tables, excludeTables, schemas, excludeSchemas, schemaOnly,
                dataOnly, globalsOnly, noOwner, noPrivileges, label, compressionMethod, compressAt, walMethod,
                checkpoint, maxRate, compressionWorkers, type, null);
    }

    /** Whether this BASE backup goes to the block store. */
    public boolean blocks() {
        return format == DumpFormat.BLOCKS;
    }

    /** A logical backup's spec (no BASE options). */
    public BackupSpec(BackupKind kind, String database, DumpFormat format, Integer compression, Integer jobs,
            List<String> tables, List<String> excludeTables, List<String> schemas, List<String> excludeSchemas,
            boolean schemaOnly, boolean dataOnly, boolean globalsOnly, boolean noOwner, boolean noPrivileges,
            String label) {
        this(kind, database, format, compression, jobs, tables, excludeTables, schemas, excludeSchemas, schemaOnly,
                dataOnly, globalsOnly, noOwner, noPrivileges, label, null, null, null, null, null, null);
    }

    public boolean compressed() {
        return kind == BackupKind.BASE ? compressionMethod != null && compressionMethod != CompressionMethod.NONE
                : compression != null && compression > 0;
    }

    BackupSpec withCompressionMethod(CompressionMethod method) {
        return new BackupSpec(kind, database, format, compression, jobs, tables, excludeTables, schemas,
                excludeSchemas, schemaOnly, dataOnly, globalsOnly, noOwner, noPrivileges, label, method, compressAt,
                walMethod, checkpoint, maxRate, compressionWorkers, type, checksumDelta);
    }

    BackupSpec withCompressionWorkers(Integer workers) {
        return new BackupSpec(kind, database, format, compression, jobs, tables, excludeTables, schemas,
                excludeSchemas, schemaOnly, dataOnly, globalsOnly, noOwner, noPrivileges, label, compressionMethod,
                compressAt, walMethod, checkpoint, maxRate, workers, type, checksumDelta);
    }
}
