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
     * Whether the credential may fetch {@code file} at all: the timelines and segments its recovery can read.
     * Outside them a fetch answers 404 whether the file is archived or not: restore_command takes anything but
     * 404 as fatal, and PostgreSQL asks for files that need not exist (the next timeline's history file).
     */
    boolean allows(UUID credentialId, String file);

    /**
     * Whether {@code file} is one of the segments the copy's recovery was promised when it was planned: its
     * absence is then a loss, never the end of the archive, and must stop the recovery.
     */
    boolean promised(UUID credentialId, String file);

    /** A valid copy token: its id and the recovery job it was issued for. */
    record CopyCredential(UUID id, UUID jobId) {
    }
}
