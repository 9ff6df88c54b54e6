package io.pgvault.cluster;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a live server said about itself; {@code dataDirectory} is null when the role may not see it,
 * {@code systemIdentifier} (pg_control_system()) where the server would not tell it.
 */
public record ServerInfo(String version, int versionNum, long walSegmentSize, String dataDirectory,
        Long systemIdentifier) {

    private static final Pattern MAJOR = Pattern.compile("^(\\d+)");

    /**
     * Whether this host reads the server's data directory and it is the server's own: its pg_control carries the
     * server's system identifier (the same path on another host is another directory).
     */
    public boolean dataDirectoryReadableHere() {
        if (dataDirectory == null || systemIdentifier == null) {
            return false;
        }
        try {
            return systemIdentifierOnDisk(Path.of(dataDirectory)) == systemIdentifier;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The system identifier in a data directory's {@code global/pg_control} (its first 8 bytes, little-endian). */
    public static long systemIdentifierOnDisk(Path dataDirectory) throws IOException {
        try (FileChannel ch = FileChannel.open(dataDirectory.resolve("global").resolve("pg_control"))) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            if (b.flip().remaining() != 8) {
                throw new IOException(dataDirectory + "/global/pg_control is shorter than 8 bytes");
            }
            return b.getLong();
        }
    }

    public int major() {
        return versionNum / 10000;
    }

    /** The major version of a recorded server version ({@code 13.22}, {@code 16beta1}). */
    public static int majorOf(String version) {
        Matcher m = MAJOR.matcher(version == null ? "" : version);
        if (!m.find()) {
            throw new IllegalStateException("cannot read a major version from '" + version + "'");
        }
        return Integer.parseInt(m.group(1));
    }
}
