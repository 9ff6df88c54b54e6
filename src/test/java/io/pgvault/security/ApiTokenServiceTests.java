package io.pgvault.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintStream;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/** The configured admin token: accepted as ADMIN without the catalog, refused at start-up when weak, never echoed. */
class ApiTokenServiceTests {

    private static ApiTokenService service(String configured) {
        // no repository: a configured admin token must work without the catalog
        return new ApiTokenService(null, Clock.systemUTC(), configured,
                new PrintStream(PrintStream.nullOutputStream()));
    }

    @Test
    void theConfiguredAdminTokenIsAnAdmin() {
        Caller caller = service("configured-admin-token-123").authenticate("configured-admin-token-123").orElseThrow();
        assertThat(caller.role()).isEqualTo(Role.ADMIN);
        assertThat(caller.name()).doesNotContain("configured-admin-token-123");
    }

    @Test
    void aWeakConfiguredTokenStopsStartUpWithoutShowingIt() {
        for (String weak : new String[] {"short-secret", "has a space inside it", "tab\tinside-it-0123456789"}) {
            assertThatThrownBy(() -> service(weak)).hasMessageContaining("PGVAULT_ADMIN_TOKEN")
                    .hasMessageNotContaining(weak);
        }
    }
}
