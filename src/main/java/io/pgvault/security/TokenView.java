package io.pgvault.security;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;

/** An API token as the API shows it; {@code token} (the value) only in the answer that created it. */
@Schema(description = "An API token; token (the value) only in the answer that created it")
public record TokenView(UUID id, String name, Role role, Instant createdAt, String createdBy, Instant expiresAt,
        Instant lastUsedAt, String token) {

    static TokenView of(ApiToken t, String token) {
        return new TokenView(t.getId(), t.getName(), t.getRole(), t.getCreatedAt(), t.getCreatedBy(),
                t.getExpiresAt(), t.getLastUsedAt(), token);
    }
}
