package io.pgvault.cluster;

/**
 * The repository names a cluster's settings may use. Repositories are configured in storage, which already
 * depends on cluster (a repository's copy retention is a cluster RetentionPolicy): cluster asks through this
 * interface, implemented there, so the two do not depend on each other both ways.
 */
public interface RepositoryNames {

    /** Refuses, as invalid {@code field}, a name no configured repository has. */
    void requireConfigured(String field, String name);

    /** The repository backups go to: {@code chosen}, or the default one when it is null. */
    String target(String chosen);
}
