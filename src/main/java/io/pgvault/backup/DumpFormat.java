package io.pgvault.backup;

/**
 * pg_dump's output formats, and the file each is stored as; and BLOCKS, a BASE backup's format in the block store
 * (io.pgvault.blocks: a manifest file plus shared blocks). A BASE backup without a format is pg_basebackup's tar.
 */
public enum DumpFormat {
    CUSTOM("dump.custom"), DIRECTORY("dump"), TAR("dump.tar"), PLAIN("dump.sql"),
    BLOCKS(io.pgvault.blocks.BlockManifest.FILE);

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
        return this != PLAIN && this != BLOCKS;
    }
}
