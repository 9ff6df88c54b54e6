package io.pgvault.recovery;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Who may judge a copy dropped by looking at its data directory: only an instance on the copy's own host. The
 * same path on another host is another directory (or none), so a copy on another {@code dataHost} must never
 * lose its WAL credential because this host cannot see it; there only catalog facts count (the copy's job
 * replaced or promoted it, the token expired).
 */
final class CopyHosts {

    private CopyHosts() {
    }

    /**
     * Whether the copy in {@code directory} on {@code copyHost} (null: unknown) was dropped, as seen by an instance
     * on {@code thisHost}: false whenever the two hosts are not known to be the same.
     */
    static boolean dropped(String copyHost, String thisHost, Path directory) {
        return copyHost != null && copyHost.equals(thisHost)
                && !Files.exists(directory.resolve("PG_VERSION"), LinkOption.NOFOLLOW_LINKS);
    }
}
