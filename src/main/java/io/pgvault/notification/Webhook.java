package io.pgvault.notification;

import io.pgvault.security.SealedString;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/** A receiver of signed JSON notifications. Its secret never leaves this package except into a signature. */
@Entity
@Table(name = "webhook")
class Webhook {

    @Id
    private UUID id;
    private String url;
    @jakarta.persistence.Convert(converter = SealedString.class)
    private String secret;
    private String events;
    private boolean enabled;
    private Instant createdAt;

    protected Webhook() {
    }

    Webhook(UUID id, Instant now) {
        this.id = id;
        this.createdAt = now;
    }

    void define(String url, String secret, Set<NotificationEvent> events, boolean enabled) {
        this.url = url;
        if (secret != null) {
            this.secret = secret;
        }
        this.events = events.stream().map(Enum::name).sorted().collect(Collectors.joining(","));
        this.enabled = enabled;
    }

    Set<NotificationEvent> events() {
        Set<NotificationEvent> set = EnumSet.noneOf(NotificationEvent.class);
        Arrays.stream(events.split(",")).filter(e -> !e.isEmpty()).map(NotificationEvent::valueOf).forEach(set::add);
        return set;
    }

    UUID getId() { return id; }

    String getUrl() { return url; }

    String getSecret() { return secret; }

    boolean isEnabled() { return enabled; }

    Instant getCreatedAt() { return createdAt; }
}
