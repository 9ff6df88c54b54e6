package io.pgvault.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * A DUMP: pg_dump of one database, in one of pg_dump's formats, optionally narrowed to tables and schemas. Exists so
 * that only the options pg_dump has can reach pg_dump's command line ({@link BackupSpec} says why the JSON still
 * shows the others). Lists are never null.
 */
@JsonIgnoreProperties(value = {"kind", "globalsOnly", "compressionMethod", "compressAt", "walMethod", "checkpoint",
        "maxRate", "compressionWorkers", "type"}, allowGetters = true)
public record DumpSpec(
        String database,
        DumpFormat format,
        Integer compression,
        Integer jobs,
        List<String> tables,
        List<String> excludeTables,
        List<String> schemas,
        List<String> excludeSchemas,
        boolean schemaOnly,
        boolean dataOnly,
        boolean noOwner,
        boolean noPrivileges,
        String label) implements BackupSpec {

    public DumpSpec {
        tables = tables == null ? List.of() : List.copyOf(tables);
        excludeTables = excludeTables == null ? List.of() : List.copyOf(excludeTables);
        schemas = schemas == null ? List.of() : List.copyOf(schemas);
        excludeSchemas = excludeSchemas == null ? List.of() : List.copyOf(excludeSchemas);
    }

    @Override
    public BackupKind kind() {
        return BackupKind.DUMP;
    }

    @Override
    public boolean compressed() {
        return compression != null && compression > 0;
    }
}
