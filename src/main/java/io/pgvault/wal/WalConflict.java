package io.pgvault.wal;

import io.pgvault.api.ConflictException;

/**
 * A push whose content differs from what the catalog recorded under that name (409): the recorded file is
 * the archived one, whichever push stored its bytes first, and the pushed bytes are not kept.
 */
public final class WalConflict extends ConflictException {

    WalConflict(String name, String recordedSha256, String pushedSha256) {
        super("WAL file " + name + " is already archived with different content (recorded SHA-256 " + recordedSha256
                + ", pushed " + pushedSha256 + "); the archived file is kept and this push was not stored");
    }
}
