package io.pgvault.notification;

import io.pgvault.job.TimerListener;
import java.time.Instant;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** The job engine's timers of kind {@code webhook}: one per delivery still to be attempted. */
@Component
class WebhookTimer implements TimerListener {

    private final WebhookService webhooks;

    WebhookTimer(WebhookService webhooks) {
        this.webhooks = webhooks;
    }

    @Override
    public String kind() {
        return WebhookService.TIMER;
    }

    @Override
    public Instant fire(String id, Instant due) {
        return webhooks.attempt(UUID.fromString(id));
    }
}
