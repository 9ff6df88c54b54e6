package io.pgvault.security;

import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** An API token: its name, role and the SHA-256 of its value (the value itself is never kept). */
@Entity
@Table(name = "api_token")
class ApiToken {

    @Id
    private UUID id;
    private String name;
    @Enumerated(EnumType.STRING)
    private Role role;
    private String tokenHash;
    private Instant createdAt;
    private String createdBy;
    private Instant expiresAt;
    private Instant lastUsedAt;

    protected ApiToken() {
    }

    ApiToken(UUID id, String name, Role role, String tokenHash, Instant createdAt, String createdBy,
            Instant expiresAt) {
        this.id = id;
        this.name = name;
        this.role = role;
        this.tokenHash = tokenHash;
        this.createdAt = createdAt;
        this.createdBy = createdBy;
        this.expiresAt = expiresAt;
    }

    boolean expired(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }

    UUID getId() { return id; }

    String getName() { return name; }

    Role getRole() { return role; }

    Instant getCreatedAt() { return createdAt; }

    String getCreatedBy() { return createdBy; }

    Instant getExpiresAt() { return expiresAt; }

    Instant getLastUsedAt() { return lastUsedAt; }
}
