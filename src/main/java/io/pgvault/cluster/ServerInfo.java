package io.pgvault.cluster;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a live server said about itself; {@code dataDirectory} is null when the role may not see it,
 * {@code systemIdentifier} (pg_control_system()) where the server would not tell it.
 */
public record ServerInfo(String version, int versionNum, long walSegmentSize, String dataDirectory,
        Long systemIdentifier) {

    private static final Pattern MAJOR = Pattern.compile("^(\\d+)");

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
