package io.pgvault.backup.web;

import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupSpec;
import io.pgvault.backup.BackupType;
import io.pgvault.backup.CheckpointMode;
import io.pgvault.backup.CompressionMethod;
import io.pgvault.backup.CompressionSite;
import io.pgvault.backup.DumpFormat;
import io.pgvault.backup.WalMethod;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** Starts a backup. Only {@code kind} is always required; DUMP also needs {@code database}. */
@Schema(description = "A backup to take. Only kind is always required; DUMP also needs database. Options of "
        + "another kind are refused.", example = """
        {"kind": "DUMP", "database": "shop", "format": "CUSTOM", "compression": 6, "label": "before-migration"}""")
public record BackupRequest(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "DUMP (pg_dump of one database), "
                + "DUMP_ALL (pg_dumpall of the cluster) or BASE (pg_basebackup, for point-in-time recovery)")
        BackupKind kind,
        @Schema(description = "DUMP only: the database to dump") String database,
        @Schema(description = "DUMP: CUSTOM (default), DIRECTORY, TAR or PLAIN; DUMP_ALL: PLAIN; BASE: TAR "
                + "(default, pg_basebackup's tar files) or BLOCKS (the repository's deduplicating block store, "
                + "docs/blocks.md)") DumpFormat format,
        @Schema(description = "DUMP, DUMP_ALL: gzip level 0-9; BASE: the level of compressionMethod") Integer compression,
        @Schema(description = "parallel workers, DIRECTORY format only") Integer jobs,
        @Schema(description = "DUMP only: dump only these tables (pg_dump -t patterns). A partitioned table (or an "
                + "inheritance parent) brings every partition at every level and its inheritance children, as pg_dump "
                + "16's --table-and-children does, with any pg_dump version; a partition named alone comes alone")
        List<String> tables,
        @Schema(description = "DUMP only: leave these tables out (-T), a partitioned table with its whole tree")
        List<String> excludeTables,
        @Schema(description = "DUMP only: dump only these schemas (-n); a partitioned table's partitions in other "
                + "schemas come too (with those schemas, their other tables left out)") List<String> schemas,
        @Schema(description = "DUMP only: leave these schemas out (-N), with the trees of their tables")
        List<String> excludeSchemas,
        @Schema(description = "DUMP, DUMP_ALL: definitions only, no data (default false)") Boolean schemaOnly,
        @Schema(description = "DUMP, DUMP_ALL: data only, no definitions (default false)") Boolean dataOnly,
        @Schema(description = "DUMP_ALL only: roles and tablespaces") Boolean globalsOnly,
        @Schema(description = "DUMP, DUMP_ALL: no ownership commands (default false)") Boolean noOwner,
        @Schema(description = "DUMP, DUMP_ALL: no GRANT/REVOKE (default false)") Boolean noPrivileges,
        @Schema(description = "free text shown with the backup", example = "before-migration") String label,
        @Schema(description = "BASE only: NONE, GZIP, LZ4 or ZSTD (default ZSTD with 15+ tools, else GZIP)")
        CompressionMethod compressionMethod,
        @Schema(description = "BASE only: CLIENT (default, pg_basebackup compresses) or SERVER (15+)")
        CompressionSite compressAt,
        @Schema(description = "BASE only: STREAM (default) or FETCH") WalMethod walMethod,
        @Schema(description = "BASE only: FAST (default) or SPREAD") CheckpointMode checkpoint,
        @Schema(description = "BASE only: transfer limit in kB/s, 32 to 1048576") Integer maxRate,
        @Schema(description = "BASE with ZSTD only: zstd compression threads, 1 to 64 (default: one per core of "
                + "the pgvault host; the backup's options show the number used)") Integer compressionWorkers,
        @Schema(description = "BASE in format BLOCKS only: FULL (default), DIFF (refers to the newest FULL) or INCR "
                + "(refers to the newest backup); stores only blocks the repository lacks") BackupType type,
        @Schema(description = "BASE in format BLOCKS only, for a DIFF or INCR read on the data directory's host: "
                + "true reads every file and finds unchanged blocks by their hashes, instead of reusing the files whose "
                + "size and mtime are unchanged (default false)") Boolean checksumDelta) {

    /** The request that gives {@code s} (a schedule's backup, as PATCH's starting point). */
    public static BackupRequest of(BackupSpec s) {
        return new BackupRequest(s.kind(), s.database(), s.format(), s.compression(), s.jobs(), s.tables(),
                s.excludeTables(), s.schemas(), s.excludeSchemas(), s.schemaOnly(), s.dataOnly(), s.globalsOnly(),
                s.noOwner(), s.noPrivileges(), s.label(), s.compressionMethod(), s.compressAt(), s.walMethod(),
                s.checkpoint(), s.maxRate(), s.compressionWorkers(), s.type(), s.checksumDelta());
    }

    /** The spec of the kind asked for; a request without a kind or with another kind's options is refused. */
    public BackupSpec toSpec() {
        return BackupSpec.of(kind, database, format, compression, jobs, tables, excludeTables, schemas,
                excludeSchemas, isTrue(schemaOnly), isTrue(dataOnly), isTrue(globalsOnly), isTrue(noOwner),
                isTrue(noPrivileges), label, compressionMethod, compressAt, walMethod, checkpoint, maxRate,
                compressionWorkers, type, checksumDelta);
    }

    private static boolean isTrue(Boolean b) {
        return Boolean.TRUE.equals(b);
    }
}
