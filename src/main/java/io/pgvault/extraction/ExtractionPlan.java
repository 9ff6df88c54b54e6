package io.pgvault.extraction;

import io.pgvault.recovery.RecoveryTarget;
import java.util.List;
import java.util.UUID;

/**
 * A checked extraction as its job carries it. {@code source} is BASE (recover a scratch server to the target)
 * or DUMP (restore the dump's selection into a scratch database). {@code intoSchema} null: the tables keep
 * their schemas in the destination database. {@code createDatabase}/{@code createSchema}: pgvault makes them
 * and removes them again if the extraction fails ({@code keepFailed}: not when the row counts differ, which
 * then commit, to be looked at).
 */
record ExtractionPlan(String source, UUID backupId, RecoveryTarget target, boolean inclusive, String timeline,
        String walFrom, String walTo, List<String> promised, String database, List<Names.Qualified> tables,
        List<String> schemas, String intoCluster, String intoDatabase, String intoSchema, boolean createDatabase,
        boolean createSchema, boolean replace, boolean compare, boolean keepFailed) {

    ExtractionPlan {
        promised = promised == null ? List.of() : List.copyOf(promised);
        tables = tables == null ? List.of() : List.copyOf(tables);
        schemas = schemas == null ? List.of() : List.copyOf(schemas);
    }

    boolean wholeDatabase() {
        return tables.isEmpty() && schemas.isEmpty();
    }

    boolean fromDump() {
        return source.equals("DUMP");
    }
}
