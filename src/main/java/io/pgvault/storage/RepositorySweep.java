package io.pgvault.storage;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

/** One kind of leftover a fault leaves in a repository, and how to find and remove it ({@link RepositorySweeps}). */
public interface RepositorySweep {

    /** Its name in logs and in the metric's {@code sweep} tag. */
    String name();

    /**
     * Removes from the repository the leftovers written before {@code before} that nothing in the catalog
     * refers to; returns the keys it removed.
     */
    List<String> sweep(Repositories.Repository repository, Instant before) throws IOException;
}
