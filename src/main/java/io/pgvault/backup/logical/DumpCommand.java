package io.pgvault.backup.logical;

import io.pgvault.backup.BackupSpec;
import io.pgvault.backup.DumpAllSpec;
import io.pgvault.backup.DumpFormat;
import io.pgvault.backup.DumpSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Builds pg_dump and pg_dumpall argv from a validated spec. Values go in {@code --opt=value} form only. */
final class DumpCommand {

    private DumpCommand() {
    }

    /** pg_dump into {@code target} (a file, or for DIRECTORY a directory). The database comes from PGDATABASE. */
    static List<String> pgDump(String pgDump, DumpSpec spec, Path target) {
        return pgDump(pgDump, spec, target, null);
    }

    /**
     * As above, reading the exported {@code snapshot} (pgvault counts rows in it) when one is given; to stdout
     * when {@code target} is null (PLAIN dumps that stream to a repository).
     */
    static List<String> pgDump(String pgDump, DumpSpec spec, Path target, String snapshot) {
        return pgDump(pgDump, spec, target, snapshot, List.of());
    }

    /** As above, with the arguments that take or leave named tables' whole trees ({@link DumpSelection}). */
    static List<String> pgDump(String pgDump, DumpSpec spec, Path target, String snapshot, List<String> trees) {
        List<String> argv = new ArrayList<>(List.of(pgDump, "--verbose", "--no-password"));
        if (snapshot != null) {
            argv.add("--snapshot=" + snapshot);
        }
        argv.add("--format=" + spec.format().name().toLowerCase());
        if (spec.compression() != null) {
            argv.add("--compress=" + spec.compression());
        }
        if (target != null) {
            argv.add("--file=" + target);
        }
        if (spec.format() == DumpFormat.DIRECTORY) {
            if (spec.jobs() != null) {
                argv.add("--jobs=" + spec.jobs());
            }
        }
        spec.tables().forEach(t -> argv.add("--table=" + t));
        spec.excludeTables().forEach(t -> argv.add("--exclude-table=" + t));
        spec.schemas().forEach(s -> argv.add("--schema=" + s));
        spec.excludeSchemas().forEach(s -> argv.add("--exclude-schema=" + s));
        argv.addAll(trees);
        common(argv, spec);
        return argv;
    }

    /** pg_dumpall (plain SQL) into {@code target}, or to stdout when it is null. */
    static List<String> pgDumpAll(String pgDumpAll, DumpAllSpec spec, Path target) {
        List<String> argv = new ArrayList<>(List.of(pgDumpAll, "--verbose", "--no-password"));
        if (target != null) {
            argv.add("--file=" + target);
        }
        if (spec.globalsOnly()) {
            argv.add("--globals-only");
        }
        common(argv, spec);
        return argv;
    }

    private static void common(List<String> argv, BackupSpec spec) {
        if (spec.schemaOnly()) {
            argv.add("--schema-only");
        }
        if (spec.dataOnly()) {
            argv.add("--data-only");
        }
        if (spec.noOwner()) {
            argv.add("--no-owner");
        }
        if (spec.noPrivileges()) {
            argv.add("--no-privileges");
        }
    }
}
