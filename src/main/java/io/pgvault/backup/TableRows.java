package io.pgvault.backup;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

/** How many rows a table held in a dump's snapshot: what a restore drill must find again. */
@Embeddable
public record TableRows(@Column(name = "schema_name") String schema, @Column(name = "table_name") String table,
        @Column(name = "row_count") long rows) {
}
