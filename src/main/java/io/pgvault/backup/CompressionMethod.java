package io.pgvault.backup;

/** How pg_basebackup compresses a BASE backup, with the levels it accepts and the file suffix it writes. */
public enum CompressionMethod {
    NONE("", 0, 0), GZIP(".gz", 1, 9), LZ4(".lz4", 1, 12), ZSTD(".zst", 1, 22);

    private final String suffix;
    private final int minLevel;
    private final int maxLevel;

    CompressionMethod(String suffix, int minLevel, int maxLevel) {
        this.suffix = suffix;
        this.minLevel = minLevel;
        this.maxLevel = maxLevel;
    }

    /** What pg_basebackup appends to {@code base.tar}, e.g. {@code .zst}. */
    public String suffix() {
        return suffix;
    }

    public int minLevel() {
        return minLevel;
    }

    public int maxLevel() {
        return maxLevel;
    }

    /** The method a stored file was written with, from its name. */
    public static CompressionMethod ofFile(String name) {
        for (CompressionMethod m : values()) {
            if (m != NONE && name.endsWith(m.suffix)) {
                return m;
            }
        }
        return NONE;
    }
}
