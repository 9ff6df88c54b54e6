package io.pgvault.backup;

import io.pgvault.testing.OnPostgresCatalog;

/** {@link BackupQueriesTests} on a PostgreSQL catalog, the production one. */
@OnPostgresCatalog
class BackupQueriesOnPostgresTests extends BackupQueriesTests {
}
