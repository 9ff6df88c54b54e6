package io.pgvault.e2e;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.StoredBackups;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The base of end-to-end tests: the whole server on a random port, with an in-memory catalog and a
 * private storage directory, shared by every subclass (one Spring context for all of them).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class EndToEndTest {

    /** At most this many requests wait for jobs at once: JobWaitTests fills them all. */
    static final int MAX_WAITERS = 300;
    static final Path STORAGE;
    /** Where the server keeps the tools' temporary password files. */
    static final Path PASS_FILES;

    static {
        STORAGE = io.pgvault.testing.TempDirs.create("pgvault-e2e-storage");
        PASS_FILES = io.pgvault.testing.TempDirs.removeAtExit(STORAGE.resolveSibling(STORAGE.getFileName() + "-pgpass"));
        io.pgvault.testing.TempDirs.removeAtExit(STORAGE.resolveSibling(STORAGE.getFileName() + ".key"));
    }

    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:pgvault-e2e;DB_CLOSE_DELAY=-1");
        registry.add("pgvault.storage.local.root", STORAGE::toString);
        registry.add("pgvault.security.key-file", () -> STORAGE.resolveSibling(STORAGE.getFileName() + ".key").toString());
        registry.add("pgvault.tools.pass-file-directory", () -> PASS_FILES.toString());
        registry.add("pgvault.storage.local.min-free-bytes", () -> "0");
        registry.add("pgvault.security.admin-token", () -> Api.ADMIN_TOKEN);
        registry.add("pgvault.jobs.instance-name", () -> "e2e");
        registry.add("pgvault.jobs.poll-interval", () -> "200ms");
        registry.add("pgvault.jobs.max-waiters", () -> Integer.toString(MAX_WAITERS));
        registry.add("pgvault.jobs.wait-recheck", () -> "500ms");
        registry.add("pgvault.notifications.initial-backoff", () -> "300ms");
        registry.add("pgvault.notifications.max-attempts", () -> "3");
        registry.add("pgvault.notifications.check-interval", () -> "1s");
        // the tests' own root, and Debian's, where the README's examples recover to
        registry.add("pgvault.recovery.roots", () -> PgCluster.recoveryRoot() + ",/var/lib/postgresql");
        registry.add("pgvault.recovery.drill-directory", () -> PgCluster.recoveryRoot().resolve("drills").toString());
    }

    @LocalServerPort
    int port;
    Api api;
    @Autowired
    org.springframework.context.ApplicationContext context;

    /** Backups' and the WAL archive's stored files, through the application's own store: never by path. */
    StoredBackups stored() {
        return new StoredBackups(context);
    }

    @BeforeEach
    void client() {
        api = new Api(port);
    }
}
