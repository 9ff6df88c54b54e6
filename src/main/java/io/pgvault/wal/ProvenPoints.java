package io.pgvault.wal;

import java.util.Optional;

/**
 * Where the archive's proof by replay got, for the archive summary: implemented by the proof feature, which
 * depends on the archive, never the other way round.
 */
public interface ProvenPoints {

    /** The cluster's proven point, if a proof ever ran. */
    Optional<ArchiveSummary.Proven> of(String cluster);
}
