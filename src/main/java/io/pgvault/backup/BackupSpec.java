package io.pgvault.backup;

import java.util.List;

/** What to back up and how: the options a backup was asked for, stored with it as JSON. */
public record BackupSpec(BackupKind kind, String database, DumpFormat format, Integer compression, Integer jobs,
        List<String> tables, List<String> excludeTables, List<String> schemas, List<String> excludeSchemas,
        boolean schemaOnly, boolean dataOnly, boolean globalsOnly, boolean noOwner, boolean noPrivileges,
        String label) {

    public BackupSpec {
        tables = tables == null ? List.of() : List.copyOf(tables);
        excludeTables = excludeTables == null ? List.of() : List.copyOf(excludeTables);
        schemas = schemas == null ? List.of() : List.copyOf(schemas);
        excludeSchemas = excludeSchemas == null ? List.of() : List.copyOf(excludeSchemas);
    }

    public boolean compressed() {
        return compression != null && compression > 0;
    }
}
