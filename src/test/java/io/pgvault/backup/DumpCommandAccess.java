package io.pgvault.backup;

/** Lets tests in other packages build validated specs. */
public final class DumpCommandAccess {

    private DumpCommandAccess() {
    }

    public static BackupSpec validate(BackupSpec spec) {
        return BackupSpecValidator.validate(spec);
    }

    /** A validated DUMP spec (the request must be a DUMP). */
    public static DumpSpec dump(BackupSpec request) {
        return (DumpSpec) validate(request);
    }

    /** A validated DUMP_ALL spec (the request must be a DUMP_ALL). */
    public static DumpAllSpec dumpAll(BackupSpec request) {
        return (DumpAllSpec) validate(request);
    }
}
