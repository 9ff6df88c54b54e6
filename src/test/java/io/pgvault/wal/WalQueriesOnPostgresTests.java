package io.pgvault.wal;

import io.pgvault.testing.OnPostgresCatalog;

/** {@link WalQueriesTests} on a PostgreSQL catalog, the production one. */
@OnPostgresCatalog
class WalQueriesOnPostgresTests extends WalQueriesTests {
}
