package io.pgvault.cluster;

import io.pgvault.api.InvalidRequestException;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * A query a restore drill runs, read-only, on the restored copy: its first column of the first row must
 * equal {@code expect} (as text), or, without {@code expect}, it must simply run. A DUMP drill runs it in the
 * restored database; a BASE drill in {@code database} (default: the cluster's maintenance database).
 */
@Schema(description = "A read-only query a restore drill runs on the restored copy: the first column of "
        + "its first row must equal expect (as text), or without expect it must simply run")
public record SanityQuery(
        @Schema(description = "1 to 100 characters, shown in the drill result")
        String name,
        @Schema(description = "a read-only query, 1 to 4000 characters")
        String sql,
        @Schema(description = "the expected first column of the first row, as text; without it the query must "
                + "only run")
        String expect,
        @Schema(description = "BASE drills: the database to run it in (default: the cluster maintenance "
                + "database)")
        String database) {

    static final int MAX = 20;

    static void validate(List<SanityQuery> queries) {
        if (queries == null) {
            return;
        }
        if (queries.size() > MAX) {
            throw new InvalidRequestException("sanityQueries", "at most " + MAX + " sanity queries");
        }
        for (SanityQuery q : queries) {
            if (q == null || q.name() == null || q.name().isBlank() || q.name().length() > 100) {
                throw new InvalidRequestException("sanityQueries", "each sanity query needs a name of 1 to 100 "
                        + "characters");
            }
            if (q.sql() == null || q.sql().isBlank() || q.sql().length() > 4000) {
                throw new InvalidRequestException("sanityQueries", "sanity query '" + q.name() + "' needs sql of 1 "
                        + "to 4000 characters");
            }
        }
    }
}
