package io.pgvault.notification;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/** A webhook as the API shows it: never its secret, except {@code secret} once, when pgvault generated it. */
@Schema(description = "A webhook; its secret only in the answer that generated it")
public record WebhookView(
        UUID id,
        String url,
        @Schema(description = "the events it is sent")
        Set<NotificationEvent> events,
        boolean enabled,
        @Schema(description = "whether a signing secret is stored")
        boolean secretSet,
        Instant createdAt,
        @Schema(description = "only in the answer that generated it: the HMAC-SHA256 signing secret")
        String secret) {
}
