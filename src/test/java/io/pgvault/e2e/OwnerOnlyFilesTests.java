package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A backup is owner-only while the real tools write it, not only once it is stored: the staging area is
 * 0700 and the file pg_dumpall writes is 0600 as it grows; pg_dump's directory format and pg_basebackup end
 * up 0600/0700 too.
 */
class OwnerOnlyFilesTests extends EndToEndTest {

    static final String CLUSTER = "owner-only";
    static final String DB = "owner only db";
    static PgCluster pg;

    @BeforeAll
    static void seed() {
        pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE held AS SELECT g AS id FROM generate_series(1, 1000) g");
        }
    }

    @Test
    void stagedAndStoredBackupsAreOwnerOnly() throws Exception {
        api.register(CLUSTER, pg);
        for (Map<String, ?> request : List.of(Map.of("kind", "DUMP_ALL"),
                Map.of("kind", "DUMP", "database", DB, "format", "DIRECTORY"),
                Map.of("kind", "DUMP", "database", DB, "format", "PLAIN"))) {
            JsonNode job;
            try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
                lock.setAutoCommit(false);
                st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
                job = api.startBackup(CLUSTER, request);
                api.awaitJob(job.path("id").asString(), Duration.ofSeconds(30), Set.of("RUNNING"));
                pg.awaitLockWaiter(DB);
                // the tool runs, blocked by the lock: what it has written so far is private already
                Path staging = STORAGE.resolve(".staging").resolve(job.path("backupId").asString());
                assertThat(mode(staging)).as("%s staging area", request).isEqualTo("rwx------");
                assertOwnerOnly(staging, request);
                if ("DUMP_ALL".equals(request.get("kind"))) {
                    assertThat(mode(staging.resolve("dumpall.sql"))).isEqualTo("rw-------");
                }
                lock.rollback();
            }
            JsonNode done = api.awaitJob(job.path("id").asString(), Duration.ofMinutes(2));
            assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
            assertOwnerOnly(stored(job.path("backupId").asString()), request);
        }
        JsonNode base = api.backup(CLUSTER, Map.of("kind", "BASE"));
        assertOwnerOnly(stored(base.path("id").asString()), Map.of("kind", "BASE"));
    }

    private static Path stored(String backupId) throws IOException {
        try (Stream<Path> dirs = Files.find(STORAGE.resolve(CLUSTER), 2,
                (p, a) -> p.getFileName().toString().equals(backupId))) {
            return dirs.findFirst().orElseThrow();
        }
    }

    private static void assertOwnerOnly(Path tree, Map<String, ?> request) throws IOException {
        try (Stream<Path> paths = Files.walk(tree)) {
            List<Path> all = paths.toList();
            assertThat(all).allSatisfy(p -> assertThat(mode(p)).as("%s: %s", request, p)
                    .isEqualTo(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "rwx------" : "rw-------"));
        }
    }

    private static String mode(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
