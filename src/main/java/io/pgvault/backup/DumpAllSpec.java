package io.pgvault.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A DUMP_ALL: pg_dumpall of the whole cluster as PLAIN SQL, gzipped by pgvault at a level, or only its roles and
 * tablespaces ({@code globalsOnly}). Exists so that only pg_dumpall's options reach pg_dumpall ({@link BackupSpec}
 * says why the JSON still shows the others).
 */
@JsonIgnoreProperties(value = {"kind", "database", "jobs", "tables", "excludeTables", "schemas", "excludeSchemas",
        "compressionMethod", "compressAt", "walMethod", "checkpoint", "maxRate", "compressionWorkers", "type"},
        allowGetters = true)
public record DumpAllSpec(
        DumpFormat format,
        Integer compression,
        boolean schemaOnly,
        boolean dataOnly,
        boolean globalsOnly,
        boolean noOwner,
        boolean noPrivileges,
        String label) implements BackupSpec {

    @Override
    public BackupKind kind() {
        return BackupKind.DUMP_ALL;
    }

    @Override
    public boolean compressed() {
        return compression != null && compression > 0;
    }
}
