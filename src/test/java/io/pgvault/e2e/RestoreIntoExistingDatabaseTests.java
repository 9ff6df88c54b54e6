package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A logical restore into an existing database that already holds tables is refused with 409 before any job
 * starts, unless it says clean or dataOnly (it used to fail and leave every row twice: 77 rows became 154).
 * An existing but empty database takes a restore as a new one would.
 */
class RestoreIntoExistingDatabaseTests extends EndToEndTest {

    static final String CLUSTER = "existing-db";
    static final String SOURCE = "existing source";
    static PgCluster pg;

    @BeforeAll
    static void seed() {
        pg = PgCluster.shared();
        if (!pg.databaseExists(SOURCE)) {
            pg.createDatabase(SOURCE);
            pg.execute(SOURCE, "CREATE TABLE items (id int, name text)",
                    "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 77) g");
        }
    }

    @Test
    void aNonEmptyDatabaseNeedsCleanOrDataOnly() {
        api.register(CLUSTER, pg);
        String backup = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", SOURCE)).path("id").asString();
        String restores = "/api/v1/backups/" + backup + "/restores";
        String target = "existing target " + System.nanoTime();
        String empty = "existing empty " + System.nanoTime();
        try {
            api.restore(backup, Map.of("targetDatabase", target, "createDatabase", true));
            assertThat(rows(target)).isEqualTo(77);

            long jobs = api.jobCount();
            Api.Response again = api.post(restores, Map.of("targetDatabase", target));
            assertThat(again.status()).as(again.body()).isEqualTo(409);
            assertThat(again.contentType()).startsWith("application/problem+json");
            assertThat(again.field("detail")).contains("is not empty").contains("1 relation outside the system "
                    + "schemas (public.items)").contains("\"clean\": true").contains("\"dataOnly\": true");
            Api.Response oneTable = api.post(restores, Map.of("targetDatabase", target, "tables", List.of("items")));
            assertThat(oneTable.status()).as(oneTable.body()).isEqualTo(409);
            assertThat(oneTable.field("detail")).contains("named like the tables to restore (public.items)");
            assertThat(api.jobCount()).as("refused before any job").isEqualTo(jobs);
            assertThat(rows(target)).isEqualTo(77);

            api.restore(backup, Map.of("targetDatabase", target, "clean", true));
            assertThat(rows(target)).isEqualTo(77);
            pg.execute(target, "TRUNCATE items");
            api.restore(backup, Map.of("targetDatabase", target, "dataOnly", true));
            assertThat(rows(target)).isEqualTo(77);

            // an existing database without relations is empty: no clean needed
            pg.createDatabase(empty);
            api.restore(backup, Map.of("targetDatabase", empty));
            assertThat(rows(empty)).isEqualTo(77);
            assertThat(pg.fingerprints(empty)).isEqualTo(pg.fingerprints(SOURCE));

            // a PLAIN script cannot clean: it goes into a new or empty database only
            String plain = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", SOURCE, "format", "PLAIN"))
                    .path("id").asString();
            Api.Response script = api.post("/api/v1/backups/" + plain + "/restores", Map.of("targetDatabase", target));
            assertThat(script.status()).as(script.body()).isEqualTo(409);
            assertThat(script.field("detail")).contains("is not empty").contains("PLAIN")
                    .contains("\"createDatabase\": true");
            assertThat(rows(target)).isEqualTo(77);
        } finally {
            for (String db : List.of(target, empty)) {
                if (pg.databaseExists(db)) {
                    pg.dropDatabase(db);
                }
            }
        }
    }

    private static long rows(String db) {
        return ((Number) pg.queryValue(db, "SELECT count(*) FROM items")).longValue();
    }
}
