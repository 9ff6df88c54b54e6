package io.pgvault.notification.web;

import io.pgvault.notification.NotificationEvent;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.Set;

/** Creates or replaces a webhook. */
@Schema(description = "A webhook: where to POST, which events, and the HMAC secret", example = """
        {"url": "https://alerts.example.com/pgvault", "events": ["JOB_FAILED", "RPO_BREACHED"]}""")
record WebhookRequest(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "http or https URL to POST to") String url,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "the events to send, one or more")
        Set<NotificationEvent> events,
        @Schema(accessMode = Schema.AccessMode.WRITE_ONLY, description = "write-only: 16-500 characters for the "
                + "HMAC-SHA256 signature; generated (and shown once) when left out on create, kept when left out on "
                + "update") String secret,
        @Schema(description = "default true") Boolean enabled) {

    /** The request that gives {@code v}, without its secret (PATCH's starting point). */
    static WebhookRequest of(io.pgvault.notification.WebhookView v) {
        return new WebhookRequest(v.url(), v.events(), null, v.enabled());
    }

    @Override
    public String toString() {
        return "WebhookRequest[" + url + ", " + events + "]";
    }
}
