package io.pgvault.security;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;

/** An API token as the API shows it; {@code token} (the value) only in the answer that created it. */
@Schema(description = "An API token; token (the value) only in the answer that created it")
public record TokenView(
        UUID id,
        String name,
        Role role,
        Instant createdAt,
        @Schema(description = "the name of the token that created it")
        String createdBy,
        @Schema(description = "when it stops working (null: never)")
        Instant expiresAt,
        @Schema(description = "when a request last used it")
        Instant lastUsedAt,
        @Schema(description = "the value (pgv_...), only in the answer that created it: keep it, only its "
                + "SHA-256 is stored")
        String token) {

    static TokenView of(ApiToken t, String token) {
        return new TokenView(t.getId(), t.getName(), t.getRole(), t.getCreatedAt(), t.getCreatedBy(),
                t.getExpiresAt(), t.getLastUsedAt(), token);
    }
}
