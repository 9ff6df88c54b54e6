package io.pgvault.blocks;

import io.pgvault.testing.OnPostgresCatalog;

/** {@link BlockLeasesTests} on a PostgreSQL catalog, the production one: its row lock is what the leases rely on. */
@OnPostgresCatalog
class BlockLeasesOnPostgresTests extends BlockLeasesTests {
}
