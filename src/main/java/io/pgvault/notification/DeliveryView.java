package io.pgvault.notification;

import java.time.Instant;
import java.util.UUID;

/** One delivery in a webhook's history. */
public record DeliveryView(UUID id, NotificationEvent event, String status, int attempts, Integer lastStatusCode,
        String lastError, Instant createdAt, Instant nextAttemptAt, Instant deliveredAt) {
}
