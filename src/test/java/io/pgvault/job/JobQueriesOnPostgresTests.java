package io.pgvault.job;

import io.pgvault.testing.OnPostgresCatalog;

/** {@link JobQueriesTests} on a PostgreSQL catalog, the production one. */
@OnPostgresCatalog
class JobQueriesOnPostgresTests extends JobQueriesTests {
}
