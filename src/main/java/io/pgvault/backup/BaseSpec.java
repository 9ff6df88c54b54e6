package io.pgvault.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A BASE backup: pg_basebackup of the whole cluster, as its TAR files ({@code format} null) or into the
 * repository's block store ({@code BLOCKS}, with a {@code type}). Exists so that only pg_basebackup's options reach
 * pg_basebackup ({@link BackupSpec} says why the JSON still shows the others). {@code compressionWorkers} is the
 * number of zstd threads; a backup records the number it ran with.
 */
@JsonIgnoreProperties(value = {"kind", "database", "jobs", "tables", "excludeTables", "schemas", "excludeSchemas",
        "schemaOnly", "dataOnly", "globalsOnly", "noOwner", "noPrivileges"}, allowGetters = true)
public record BaseSpec(
        DumpFormat format,
        Integer compression,
        String label,
        CompressionMethod compressionMethod,
        CompressionSite compressAt,
        WalMethod walMethod,
        CheckpointMode checkpoint,
        Integer maxRate,
        Integer compressionWorkers,
        BackupType type,
        Boolean checksumDelta) implements BackupSpec {

    /** A BASE spec without checksumDelta. */
    public BaseSpec(DumpFormat format, Integer compression, String label, CompressionMethod compressionMethod,
            CompressionSite compressAt, WalMethod walMethod, CheckpointMode checkpoint, Integer maxRate,
            Integer compressionWorkers, BackupType type) {
        this(format, compression, label, compressionMethod, compressAt, walMethod, checkpoint, maxRate,
                compressionWorkers, type, null);
    }

    @Override
    public BackupKind kind() {
        return BackupKind.BASE;
    }

    @Override
    public boolean compressed() {
        return compressionMethod != null && compressionMethod != CompressionMethod.NONE;
    }

    /** Whether this backup goes to the block store. */
    public boolean blocks() {
        return format == DumpFormat.BLOCKS;
    }

    BaseSpec withCompressionMethod(CompressionMethod method) {
        return new BaseSpec(format, compression, label, method, compressAt, walMethod, checkpoint, maxRate,
                compressionWorkers, type, checksumDelta);
    }

    BaseSpec withCompressionWorkers(Integer workers) {
        return new BaseSpec(format, compression, label, compressionMethod, compressAt, walMethod, checkpoint, maxRate,
                workers, type, checksumDelta);
    }
}
