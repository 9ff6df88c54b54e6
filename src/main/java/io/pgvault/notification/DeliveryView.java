package io.pgvault.notification;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;

/** One delivery in a webhook's history. */
@Schema(description = "One notification sent (or being sent) to a webhook, with its attempts")
public record DeliveryView(
        UUID id,
        NotificationEvent event,
        @Schema(description = "PENDING (an attempt is due), DELIVERED or FAILED (attempts used up)")
        String status,
        @Schema(description = "attempts made so far")
        int attempts,
        @Schema(description = "the HTTP status of the last attempt, if it got an answer")
        Integer lastStatusCode,
        @Schema(description = "why the last attempt failed")
        String lastError,
        Instant createdAt,
        @Schema(description = "when the next attempt is due (PENDING only)")
        Instant nextAttemptAt,
        Instant deliveredAt) {
}
