package io.pgvault.security;

/** Whether a presented token is the archive token of a cluster (implemented where clusters live). */
public interface ArchiveTokenCheck {

    /** Archive tokens start with this, API tokens with {@code pgv_}. */
    String PREFIX = "pgva_";

    boolean matches(String cluster, String token);

    /** Notes that a push of {@code file} for {@code cluster} came with an archive token that does not match. */
    default void refused(String cluster, String file) {
    }
}
