package io.pgvault.security;

import java.util.Optional;
import java.util.UUID;

/**
 * Whether a presented token is a recovered copy's WAL credential (implemented where recoveries live): it may
 * only fetch one cluster's WAL, for one recovery, until it is revoked or expires.
 */
public interface CopyTokenCheck {

    /** Copy tokens start with this; archive tokens with {@code pgva_}, API tokens with {@code pgv_}. */
    String PREFIX = "pgvc_";

    /** The request attribute under which the WAL fetch finds the copy credential that authenticated it. */
    String ATTRIBUTE = "pgvault.copyCredential";

    Optional<CopyCredential> check(String cluster, String token);

    /**
     * Whether {@code file} is one of the segments the copy's recovery was promised when it was planned: its
     * absence is then a loss, never the end of the archive, and must stop the recovery.
     */
    boolean promised(UUID credentialId, String file);

    /** A valid copy token: its id and the recovery job it was issued for. */
    record CopyCredential(UUID id, UUID jobId) {
    }
}
