package io.pgvault.security;

import java.util.Optional;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * Who is calling: an API token's name and role, or a cluster's archive token ({@code role} null,
 * {@code archiveCluster} the one cluster whose WAL it may move).
 */
public record Caller(String name, Role role, String archiveCluster) {

    /** The caller of the current request, if it authenticated. */
    public static Optional<Caller> current() {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        return auth != null && auth.getPrincipal() instanceof Caller caller ? Optional.of(caller) : Optional.empty();
    }

    /** The current caller's name, or "system" outside a request (timers, start-up). */
    public static String currentName() {
        return current().map(Caller::name).orElse("system");
    }
}
