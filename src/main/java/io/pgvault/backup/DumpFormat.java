package io.pgvault.backup;

/** pg_dump's output formats, and the file each is stored as. */
public enum DumpFormat {
    CUSTOM("dump.custom"), DIRECTORY("dump"), TAR("dump.tar"), PLAIN("dump.sql");

    private final String fileName;

    DumpFormat(String fileName) {
        this.fileName = fileName;
    }

    /** The stored name: a file, or for DIRECTORY the directory pg_dump fills. */
    public String fileName(boolean compressed) {
        return this == PLAIN && compressed ? fileName + ".gz" : fileName;
    }

    /** Formats pg_restore reads (PLAIN is replayed with psql). */
    public boolean isArchive() {
        return this != PLAIN;
    }
}
