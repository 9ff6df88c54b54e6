package io.pgvault.notification;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.api.NotFoundException;
import io.pgvault.job.JobService;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.data.domain.PageRequest;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Webhooks and their deliveries. A notification becomes one delivery row per subscribed webhook and a
 * persisted timer (in the same transaction), so it survives restarts and is sent by one instance. Each
 * attempt POSTs the JSON with {@code X-Pgvault-Signature: sha256=<hex>}, the HMAC-SHA256 of
 * {@code <X-Pgvault-Timestamp>.<body>} under the webhook's secret; anything but a 2xx is retried with
 * doubling waits until {@code pgvault.notifications.max-attempts}.
 */
@Service
public class WebhookService {

    static final String TIMER = "webhook";
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(10);

    private final WebhookRepository webhooks;
    private final WebhookDeliveryRepository deliveries;
    private final JobService jobs;
    private final JsonMapper json;
    private final Clock clock;
    private final PgvaultProperties.Notifications settings;
    private final TransactionTemplate tx;
    private final HttpClient http;
    private final SecureRandom random = new SecureRandom();

    WebhookService(WebhookRepository webhooks, WebhookDeliveryRepository deliveries, JobService jobs, JsonMapper json,
            Clock clock, PgvaultProperties properties, PlatformTransactionManager transactions) {
        this.webhooks = webhooks;
        this.deliveries = deliveries;
        this.jobs = jobs;
        this.json = json;
        this.clock = clock;
        this.settings = properties.notifications();
        this.tx = new TransactionTemplate(transactions);
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Transactional
    public WebhookView create(String url, String secret, Set<NotificationEvent> events, Boolean enabled) {
        boolean generated = secret == null;
        String key = generated ? HexFormat.of().formatHex(bytes(32)) : secret;
        Webhook webhook = new Webhook(UUID.randomUUID(), clock.instant());
        webhook.define(url(url), secret(key), events(events), enabled == null || enabled);
        webhooks.save(webhook);
        return view(webhook, generated ? key : null);
    }

    @Transactional
    public WebhookView update(UUID id, String url, String secret, Set<NotificationEvent> events, Boolean enabled) {
        return update(find(id), url, secret, events, enabled);
    }

    /** A webhook as PATCH leaves it: {@code change} maps the current view to the new definition. */
    public record Definition(String url, String secret, Set<NotificationEvent> events, Boolean enabled) {
    }

    /** Changes a webhook to what {@code change} makes of its current state, in one transaction (PATCH). */
    @Transactional
    public WebhookView update(UUID id, java.util.function.Function<WebhookView, Definition> change) {
        Webhook webhook = find(id);
        Definition d = change.apply(view(webhook, null));
        return update(webhook, d.url(), d.secret(), d.events(), d.enabled());
    }

    private WebhookView update(Webhook webhook, String url, String secret, Set<NotificationEvent> events,
            Boolean enabled) {
        webhook.define(url(url), secret == null ? null : secret(secret), events(events), enabled == null || enabled);
        return view(webhook, null);
    }

    @Transactional
    public void delete(UUID id) {
        Webhook webhook = find(id);
        deliveries.deleteByWebhook(id);
        webhooks.delete(webhook);
    }

    @Transactional(readOnly = true)
    public List<WebhookView> list() {
        return webhooks.findAllByOrderByCreatedAt().stream().map(w -> view(w, null)).toList();
    }

    @Transactional(readOnly = true)
    public WebhookView get(UUID id) {
        return view(find(id), null);
    }

    /** The newest 100 deliveries of a webhook. */
    @Transactional(readOnly = true)
    public List<DeliveryView> deliveries(UUID id) {
        find(id);
        return deliveries.findByWebhookIdOrderByCreatedAtDesc(id, PageRequest.of(0, 100)).stream()
                .map(d -> new DeliveryView(d.getId(), d.getEvent(), d.getStatus().name(), d.getAttempts(),
                        d.getLastStatusCode(), d.getLastError(), d.getCreatedAt(), d.getNextAttemptAt(),
                        d.getDeliveredAt()))
                .toList();
    }

    /** Queues the notification for every enabled webhook that subscribes to the event. */
    @Transactional
    public void publish(NotificationEvent event, String cluster, String summary, Map<String, Object> details) {
        Instant now = clock.instant();
        for (Webhook webhook : webhooks.findByEnabledTrue()) {
            if (!webhook.events().contains(event)) {
                continue;
            }
            UUID id = UUID.randomUUID();
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("id", id);
            payload.put("event", event);
            payload.put("occurredAt", now);
            payload.put("cluster", cluster);
            payload.put("summary", summary);
            payload.put("details", details);
            deliveries.save(new WebhookDelivery(id, webhook.getId(), event, json.writeValueAsString(payload), now));
            jobs.setTimer(TIMER, id.toString(), now);
        }
    }

    /** One attempt at a delivery; returns when to try again, or null when it is done either way. */
    Instant attempt(UUID id) {
        WebhookDelivery delivery = deliveries.findById(id).orElse(null);
        Webhook webhook = delivery == null ? null : webhooks.findById(delivery.getWebhookId()).orElse(null);
        if (delivery == null || webhook == null || delivery.getStatus() != WebhookDelivery.Status.PENDING) {
            return null;
        }
        Integer code = null;
        String error = null;
        try {
            String timestamp = Long.toString(clock.instant().getEpochSecond());
            HttpRequest request = HttpRequest.newBuilder(URI.create(webhook.getUrl()))
                    .timeout(settings.timeout())
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "pgvault")
                    .header("X-Pgvault-Event", delivery.getEvent().name())
                    .header("X-Pgvault-Delivery", delivery.getId().toString())
                    .header("X-Pgvault-Timestamp", timestamp)
                    .header("X-Pgvault-Signature", "sha256=" + sign(webhook.getSecret(), timestamp, delivery.getPayload()))
                    .POST(HttpRequest.BodyPublishers.ofString(delivery.getPayload(), StandardCharsets.UTF_8))
                    .build();
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            code = response.statusCode();
            if (code >= 200 && code < 300) {
                int status = code;
                tx.executeWithoutResult(t -> deliveries.findById(id).ifPresent(d -> d.delivered(status, clock.instant())));
                return null;
            }
            error = "answered HTTP " + code;
        } catch (java.io.IOException e) {
            error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = "interrupted";
        }
        int attempts = delivery.getAttempts() + 1;
        Instant next = attempts >= settings.maxAttempts() ? null : clock.instant().plus(backoff(attempts));
        Integer status = code;
        String failure = error;
        tx.executeWithoutResult(t -> deliveries.findById(id).ifPresent(d -> d.failedAttempt(status, failure, next)));
        return next;
    }

    /** The HMAC-SHA256 of {@code timestamp.body} under the secret, as hex. */
    static String sign(String secret, String timestamp, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    private Duration backoff(int attempts) {
        Duration wait = settings.initialBackoff().multipliedBy(1L << Math.min(attempts - 1, 20));
        return wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static String url(String url) {
        if (url == null || url.isBlank()) {
            throw new InvalidRequestException("url", "url is required: where to POST the notifications");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new InvalidRequestException("url", "url is not a valid URI");
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getUserInfo() != null) {
            throw new InvalidRequestException("url", "url must be an absolute http or https URL with a host and "
                    + "without credentials");
        }
        return url;
    }

    private static String secret(String secret) {
        if (secret.length() < 16 || secret.length() > 500 || secret.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidRequestException("secret", "secret must be 16 to 500 printable characters (leave it "
                    + "out and pgvault generates one)");
        }
        return secret;
    }

    private static Set<NotificationEvent> events(Set<NotificationEvent> events) {
        if (events == null || events.isEmpty() || events.contains(null)) {
            throw new InvalidRequestException("events", "events is required: one or more of "
                    + EnumSet.allOf(NotificationEvent.class));
        }
        return events;
    }

    private Webhook find(UUID id) {
        return webhooks.findById(id).orElseThrow(() -> new NotFoundException("no webhook with id " + id));
    }

    private static WebhookView view(Webhook w, String generatedSecret) {
        return new WebhookView(w.getId(), w.getUrl(), w.events(), w.isEnabled(), true, w.getCreatedAt(),
                generatedSecret);
    }
}
