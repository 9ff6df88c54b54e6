package io.pgvault.notification;

import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** One notification to one webhook, with every attempt's outcome. */
@Entity
@Table(name = "webhook_delivery")
class WebhookDelivery {

    /** Where a delivery stands. */
    enum Status { PENDING, DELIVERED, FAILED }

    @Id
    private UUID id;
    private UUID webhookId;
    @Enumerated(EnumType.STRING)
    private NotificationEvent event;
    private String payload;
    @Enumerated(EnumType.STRING)
    private Status status;
    private int attempts;
    private Integer lastStatusCode;
    private String lastError;
    private Instant createdAt;
    private Instant nextAttemptAt;
    private Instant deliveredAt;

    protected WebhookDelivery() {
    }

    WebhookDelivery(UUID id, UUID webhookId, NotificationEvent event, String payload, Instant now) {
        this.id = id;
        this.webhookId = webhookId;
        this.event = event;
        this.payload = payload;
        this.status = Status.PENDING;
        this.createdAt = now;
        this.nextAttemptAt = now;
    }

    void delivered(int statusCode, Instant now) {
        attempts++;
        lastStatusCode = statusCode;
        lastError = null;
        status = Status.DELIVERED;
        deliveredAt = now;
        nextAttemptAt = null;
    }

    void failedAttempt(Integer statusCode, String error, Instant next) {
        attempts++;
        lastStatusCode = statusCode;
        lastError = error == null ? null : error.substring(0, Math.min(error.length(), 1000));
        status = next == null ? Status.FAILED : Status.PENDING;
        nextAttemptAt = next;
    }

    UUID getId() { return id; }

    UUID getWebhookId() { return webhookId; }

    NotificationEvent getEvent() { return event; }

    String getPayload() { return payload; }

    Status getStatus() { return status; }

    int getAttempts() { return attempts; }

    Integer getLastStatusCode() { return lastStatusCode; }

    String getLastError() { return lastError; }

    Instant getCreatedAt() { return createdAt; }

    Instant getNextAttemptAt() { return nextAttemptAt; }

    Instant getDeliveredAt() { return deliveredAt; }
}
