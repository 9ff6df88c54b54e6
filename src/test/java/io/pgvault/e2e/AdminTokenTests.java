package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * First start without a configured admin token: one is generated and printed once, and it works; later
 * starts print nothing new. {@code PGVAULT_ADMIN_TOKEN} is an admin token of its own.
 */
class AdminTokenTests {

    private static final Pattern TOKEN = Pattern.compile("pgv_[A-Za-z0-9_-]{43}");

    @TempDir
    Path dir;

    @Test
    void theFirstStartPrintsAnAdminTokenOnce() throws Exception {
        int port = ServerProcess.freePort();
        String generated;
        try (ServerProcess first = ServerProcess.start(dir, port, "--pgvault.security.admin-token")) {
            generated = awaitToken(first);
            assertThat(new Api(port, generated).get("/api/v1/clusters").status()).isEqualTo(200);
            Api.Response created = new Api(port, generated).post("/api/v1/tokens",
                    Map.of("name", "ops", "role", "OPERATOR"));
            assertThat(created.status()).isEqualTo(201);
            assertThat(new Api(port).get("/api/v1/clusters").status()).as("no configured admin token").isEqualTo(401);
            assertThat(first.output()).doesNotContain(created.field("token"));
        }
        try (ServerProcess second = ServerProcess.start(dir, port, Map.of("PGVAULT_ADMIN_TOKEN",
                "from-the-environment-0123456789"), "--pgvault.security.admin-token")) {
            assertThat(TOKEN.matcher(second.output()).find()).as("printed only at the first start").isFalse();
            assertThat(new Api(port, generated).get("/api/v1/tokens").status()).isEqualTo(200);
            assertThat(new Api(port, "from-the-environment-0123456789").get("/api/v1/tokens").status())
                    .isEqualTo(200);
        }
        assertThat(Files.readString(dir.resolve("catalog.mv.db"), java.nio.charset.StandardCharsets.ISO_8859_1))
                .as("only the hash is stored").doesNotContain(generated);
    }

    private static String awaitToken(ServerProcess server) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            Matcher m = TOKEN.matcher(server.output());
            if (m.find()) {
                String token = m.group();
                assertThat(m.find()).as("printed once").isFalse();
                return token;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no admin token printed:\n" + server.output());
    }
}
