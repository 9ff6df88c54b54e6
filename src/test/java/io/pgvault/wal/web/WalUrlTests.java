package io.pgvault.wal.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * archive-config's commands call pgvault at the address the database host reaches it at: pgvault.api.public-url
 * when it is set (behind a proxy or load balancer), else the address of the archive-config request.
 */
class WalUrlTests {

    @AfterEach
    void noRequest() {
        RequestContextHolder.resetRequestAttributes();
    }

    @Test
    void thePublicUrlWinsOverTheRequestsAddress() {
        request("10.0.0.7", 8080);
        assertThat(WalController.walUrl(URI.create("https://pgvault.example.net"), "shop"))
                .isEqualTo("https://pgvault.example.net/api/v1/clusters/shop/wal/");
        assertThat(WalController.walUrl(URI.create("https://proxy.example.net/pgvault/"), "shop"))
                .isEqualTo("https://proxy.example.net/pgvault/api/v1/clusters/shop/wal/");
    }

    @Test
    void withoutOneTheRequestsAddressIsUsed() {
        request("pgvault-1", 8080);
        assertThat(WalController.walUrl(null, "shop")).isEqualTo("http://pgvault-1:8080/api/v1/clusters/shop/wal/");
    }

    private static void request(String host, int port) {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api/v1/clusters/shop/archive-config");
        request.setServerName(host);
        request.setServerPort(port);
        RequestContextHolder.setRequestAttributes(new ServletRequestAttributes(request));
    }
}
