package io.pgvault.security;

import java.util.List;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/**
 * What an API token may do. Each role includes the ones below it. Which role an operation needs is said next
 * to it ({@code @PreAuthorize}); docs/roles.md has the table that RolesPerOperationTests checks.
 */
public enum Role {
    /**
     * Reads the catalog: clusters, backups and what they hold (names and sizes), jobs and their logs, schedules,
     * the WAL summary, health and metrics. Never data: no backup's bytes, no WAL file, no archive token.
     */
    VIEWER,
    /** Plus backups, verifications, restores to new targets, recoveries to new directories, extractions, cancels, pins. */
    OPERATOR,
    /**
     * Plus clusters, schedules, retention, deletes, in-place restores and recoveries, extractions that replace
     * tables or go into a system database, tokens, audit.
     */
    ADMIN;

    /** Spring Security authorities: this role's and every role it includes. */
    public List<GrantedAuthority> authorities() {
        return java.util.Arrays.stream(values()).filter(r -> r.ordinal() <= ordinal())
                .<GrantedAuthority>map(r -> new SimpleGrantedAuthority("ROLE_" + r.name())).toList();
    }

    public boolean includes(Role other) {
        return ordinal() >= other.ordinal();
    }
}
