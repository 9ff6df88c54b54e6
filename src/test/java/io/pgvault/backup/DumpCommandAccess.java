package io.pgvault.backup;

/** Lets tests in other packages build validated specs. */
public final class DumpCommandAccess {

    private DumpCommandAccess() {
    }

    public static BackupSpec validate(BackupSpec spec) {
        return BackupSpecValidator.validate(spec);
    }
}
