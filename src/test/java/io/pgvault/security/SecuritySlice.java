package io.pgvault.security;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Import;

/**
 * The application's own security configuration (bearer tokens, role rules, method security and the early
 * {@code @PreAuthorize} check) for web slice tests: a slice scans only web components, and the configuration is
 * package-private here. A {@code TestConfiguration}, so that the full application's component scan skips it.
 */
@TestConfiguration(proxyBeanMethods = false)
@Import(SecurityConfiguration.class)
public class SecuritySlice {
}
