package io.pgvault.backup;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.pgvault.api.InvalidRequestException;
import java.util.List;

/**
 * What to back up and how: the options a backup was asked for, stored with it (and with a schedule) as JSON. One
 * record per kind ({@link DumpSpec}, {@link DumpAllSpec}, {@link BaseSpec}) holds only the options that kind has,
 * so that a pg_basebackup option cannot reach pg_dump's command line and code that needs one kind says so in its
 * signature. {@code kind}, {@code label}, {@code format} and {@code compression} are every kind's.
 *
 * <p>The JSON is what it was when this was one record for every kind: {@code kind} picks the record (Jackson's
 * existing-property type id), every property is written in the same order, and the properties a kind does not have
 * are written as that record always wrote them (null, so left out; empty lists; false) and accepted and ignored when
 * read. Entries and schedules stored before the split read unchanged. The API document shows the same single shape,
 * {@link BackupSpecSchema}. A request that names another kind's option is refused when it is turned into a spec
 * ({@link #of}), with the answer it always had.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.EXISTING_PROPERTY, property = "kind",
        visible = true)
@JsonSubTypes({@JsonSubTypes.Type(value = DumpSpec.class, name = "DUMP"),
        @JsonSubTypes.Type(value = DumpAllSpec.class, name = "DUMP_ALL"),
        @JsonSubTypes.Type(value = BaseSpec.class, name = "BASE")})
@JsonPropertyOrder({"kind", "database", "format", "compression", "jobs", "tables", "excludeTables", "schemas",
        "excludeSchemas", "schemaOnly", "dataOnly", "globalsOnly", "noOwner", "noPrivileges", "label",
        "compressionMethod", "compressAt", "walMethod", "checkpoint", "maxRate", "compressionWorkers", "type", "checksumDelta"})
public sealed interface BackupSpec permits DumpSpec, DumpAllSpec, BaseSpec {

    @JsonProperty("kind")
    BackupKind kind();

    /** Free text shown with the backup. */
    String label();

    /** DUMP: CUSTOM, DIRECTORY, TAR or PLAIN; DUMP_ALL: PLAIN; BASE: null (TAR) or BLOCKS. */
    DumpFormat format();

    /** The compression level: gzip's for DUMP and DUMP_ALL, the compression method's for BASE. */
    Integer compression();

    /** Whether the stored file is compressed. */
    boolean compressed();

    // Every other option, as any kind shows it: a kind that does not have an option answers as the one record did.

    @JsonProperty("database")
    default String database() {
        return null;
    }

    @JsonProperty("jobs")
    default Integer jobs() {
        return null;
    }

    @JsonProperty("tables")
    default List<String> tables() {
        return List.of();
    }

    @JsonProperty("excludeTables")
    default List<String> excludeTables() {
        return List.of();
    }

    @JsonProperty("schemas")
    default List<String> schemas() {
        return List.of();
    }

    @JsonProperty("excludeSchemas")
    default List<String> excludeSchemas() {
        return List.of();
    }

    @JsonProperty("schemaOnly")
    default boolean schemaOnly() {
        return false;
    }

    @JsonProperty("dataOnly")
    default boolean dataOnly() {
        return false;
    }

    @JsonProperty("globalsOnly")
    default boolean globalsOnly() {
        return false;
    }

    @JsonProperty("noOwner")
    default boolean noOwner() {
        return false;
    }

    @JsonProperty("noPrivileges")
    default boolean noPrivileges() {
        return false;
    }

    @JsonProperty("compressionMethod")
    default CompressionMethod compressionMethod() {
        return null;
    }

    @JsonProperty("compressAt")
    default CompressionSite compressAt() {
        return null;
    }

    @JsonProperty("walMethod")
    default WalMethod walMethod() {
        return null;
    }

    @JsonProperty("checkpoint")
    default CheckpointMode checkpoint() {
        return null;
    }

    @JsonProperty("maxRate")
    default Integer maxRate() {
        return null;
    }

    @JsonProperty("compressionWorkers")
    default Integer compressionWorkers() {
        return null;
    }

    @JsonProperty("type")
    default BackupType type() {
        return null;
    }

    @JsonProperty("checksumDelta")
    default Boolean checksumDelta() {
        return null;
    }

    /**
     * The spec of {@code kind} that a request with these options asks for; refuses (as it always did) a request
     * without a kind and one that names an option its kind does not have. What the options' values may be is
     * {@link BackupSpecValidator}'s to check, when the backup or schedule is checked.
     */
    static BackupSpec of(BackupKind kind, String database, DumpFormat format, Integer compression, Integer jobs,
            List<String> tables, List<String> excludeTables, List<String> schemas, List<String> excludeSchemas,
            boolean schemaOnly, boolean dataOnly, boolean globalsOnly, boolean noOwner, boolean noPrivileges,
            String label, CompressionMethod compressionMethod, CompressionSite compressAt, WalMethod walMethod,
            CheckpointMode checkpoint, Integer maxRate, Integer compressionWorkers, BackupType type,
            Boolean checksumDelta) {
        if (kind == null) {
            throw new InvalidRequestException("kind", "kind is required: DUMP, DUMP_ALL or BASE");
        }
        if (schemaOnly && dataOnly) {
            throw new InvalidRequestException("dataOnly", "schemaOnly and dataOnly cannot be combined");
        }
        if (kind == BackupKind.BASE) {
            if (database != null) {
                throw new InvalidRequestException("database",
                        "a BASE backup copies the whole cluster; leave database out");
            }
            if (jobs != null || !empty(tables) || !empty(excludeTables) || !empty(schemas) || !empty(excludeSchemas)
                    || schemaOnly || dataOnly || globalsOnly || noOwner || noPrivileges) {
                throw new InvalidRequestException("kind", "jobs, table and schema filters, schemaOnly, dataOnly, "
                        + "globalsOnly, noOwner and noPrivileges apply to DUMP and DUMP_ALL only");
            }
            return new BaseSpec(format, compression, label, compressionMethod, compressAt, walMethod, checkpoint,
                    maxRate, compressionWorkers, type, checksumDelta);
        }
        if (compressionMethod != null || compressAt != null || walMethod != null || checkpoint != null
                || maxRate != null || compressionWorkers != null) {
            throw new InvalidRequestException(compressionWorkers != null ? "compressionWorkers" : "compressionMethod",
                    "compressionMethod, compressionWorkers, compressAt, walMethod, checkpoint and maxRate apply to "
                    + "BASE backups only");
        }
        if (type != null) {
            throw new InvalidRequestException("type", "type (FULL, DIFF, INCR) applies to BASE backups only");
        }
        if (checksumDelta != null) {
            throw new InvalidRequestException("checksumDelta", "checksumDelta applies to BASE backups in format "
                    + "BLOCKS only");
        }
        if (kind == BackupKind.DUMP) {
            if (globalsOnly) {
                throw new InvalidRequestException("globalsOnly", "globalsOnly applies to DUMP_ALL only");
            }
            return new DumpSpec(database, format, compression, jobs, tables, excludeTables, schemas, excludeSchemas,
                    schemaOnly, dataOnly, noOwner, noPrivileges, label);
        }
        if (database != null) {
            throw new InvalidRequestException("database", "DUMP_ALL dumps every database; leave database out");
        }
        if (jobs != null) {
            throw new InvalidRequestException("jobs", "pg_dumpall cannot run in parallel");
        }
        if (!empty(tables) || !empty(excludeTables) || !empty(schemas) || !empty(excludeSchemas)) {
            throw new InvalidRequestException("tables", "table and schema filters apply to DUMP only");
        }
        return new DumpAllSpec(format, compression, schemaOnly, dataOnly, globalsOnly, noOwner, noPrivileges, label);
    }

    /** {@link #of} without checksumDelta. */
    static BackupSpec of(BackupKind kind, String database, DumpFormat format, Integer compression, Integer jobs,
            List<String> tables, List<String> excludeTables, List<String> schemas, List<String> excludeSchemas,
            boolean schemaOnly, boolean dataOnly, boolean globalsOnly, boolean noOwner, boolean noPrivileges,
            String label, CompressionMethod compressionMethod, CompressionSite compressAt, WalMethod walMethod,
            CheckpointMode checkpoint, Integer maxRate, Integer compressionWorkers, BackupType type) {
        return of(kind, database, format, compression, jobs, tables, excludeTables, schemas, excludeSchemas,
                schemaOnly, dataOnly, globalsOnly, noOwner, noPrivileges, label, compressionMethod, compressAt,
                walMethod, checkpoint, maxRate, compressionWorkers, type, null);
    }

    /** {@link #of} for a logical backup (no BASE options). */
    static BackupSpec of(BackupKind kind, String database, DumpFormat format, Integer compression, Integer jobs,
            List<String> tables, List<String> excludeTables, List<String> schemas, List<String> excludeSchemas,
            boolean schemaOnly, boolean dataOnly, boolean globalsOnly, boolean noOwner, boolean noPrivileges,
            String label) {
        return of(kind, database, format, compression, jobs, tables, excludeTables, schemas, excludeSchemas,
                schemaOnly, dataOnly, globalsOnly, noOwner, noPrivileges, label, null, null, null, null, null, null,
                null, null);
    }

    private static boolean empty(List<String> list) {
        return list == null || list.isEmpty();
    }
}
