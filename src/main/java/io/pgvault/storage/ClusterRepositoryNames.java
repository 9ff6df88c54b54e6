package io.pgvault.storage;

import io.pgvault.cluster.RepositoryNames;
import org.springframework.stereotype.Component;

/** The configured repositories, as cluster settings see them (see {@link RepositoryNames}). */
@Component
class ClusterRepositoryNames implements RepositoryNames {

    private final Repositories repositories;

    ClusterRepositoryNames(Repositories repositories) {
        this.repositories = repositories;
    }

    @Override
    public void requireConfigured(String field, String name) {
        repositories.requireConfigured(field, name);
    }

    @Override
    public String target(String chosen) {
        return repositories.target(chosen);
    }
}
