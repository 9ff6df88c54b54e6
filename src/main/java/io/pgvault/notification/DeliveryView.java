package io.pgvault.notification;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;

/** One delivery in a webhook's history. */
@Schema(description = "One notification sent (or being sent) to a webhook, with its attempts")
public record DeliveryView(UUID id, NotificationEvent event, String status, int attempts, Integer lastStatusCode,
        String lastError, Instant createdAt, Instant nextAttemptAt, Instant deliveredAt) {
}
