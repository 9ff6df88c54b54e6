package io.pgvault.notification.web;

import io.pgvault.api.Representations;
import io.pgvault.notification.DeliveryView;
import io.pgvault.notification.WebhookService;
import io.pgvault.notification.WebhookView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

@Tag(name = "Notifications", description = "Signed webhooks for failures and risks, with retries and history")
@RestController
@RequestMapping("/api/v1/notifications")
class WebhookController {

    private final WebhookService webhooks;
    private final Representations representations;

    WebhookController(WebhookService webhooks, Representations representations) {
        this.webhooks = webhooks;
        this.representations = representations;
    }

    @ApiResponse(responseCode = "200", description = "The webhooks, without their secrets")
    @Operation(operationId = "listWebhooks", summary = "List webhooks")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping
    List<WebhookView> list() {
        return webhooks.list();
    }

    @ApiResponse(responseCode = "201", description = "Created; a generated secret is in this answer only",
            headers = @Header(name = "Location", description = "the new webhook",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @Operation(operationId = "createWebhook",
            summary = "Create a webhook", description = "Each notification is a JSON POST with headers "
            + "X-Pgvault-Event, X-Pgvault-Delivery, X-Pgvault-Timestamp and X-Pgvault-Signature: sha256=<hex of "
            + "HMAC-SHA256(secret, timestamp + \".\" + body)>. A generated secret is shown in this answer only.")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(
            description = "Where to POST, which events, and the signing secret")
    @PreAuthorize("hasRole('ADMIN')")
    @PostMapping
    ResponseEntity<WebhookView> create(@RequestBody WebhookRequest r) {
        WebhookView view = webhooks.create(r.url(), r.secret(), r.events(), r.enabled());
        return ResponseEntity.created(URI.create("/api/v1/notifications/" + view.id())).body(view);
    }

    @ApiResponse(responseCode = "200", description = "The webhook, without its secret")
    @Operation(operationId = "getWebhook", summary = "Show a webhook")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping("/{id}")
    WebhookView get(@PathVariable UUID id) {
        return webhooks.get(id);
    }

    @ApiResponse(responseCode = "200", description = "The webhook as it is now")
    @ApiResponse(responseCode = "400", description = "A field is missing or invalid")
    @Operation(operationId = "replaceWebhook", summary = "Replace a webhook", description = "PUT needs the whole definition: url, events and "
            + "enabled; a field left out is refused (400 naming it). A missing secret keeps the stored one. To "
            + "change some fields only, use PATCH.")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, description = "The whole new "
            + "definition; secret is write-only", content = @Content(schema = @Schema(implementation = WebhookRequest.class)))
    @PreAuthorize("hasRole('ADMIN')")
    @PutMapping(path = "/{id}", consumes = MediaType.APPLICATION_JSON_VALUE)
    WebhookView replace(@PathVariable UUID id, @RequestBody JsonNode body) {
        WebhookRequest r = representations.complete(body, WebhookRequest.class, "webhook", Set.of("secret"));
        return webhooks.update(id, r.url(), r.secret(), r.events(), r.enabled());
    }

    @ApiResponse(responseCode = "200", description = "The webhook as it is now")
    @ApiResponse(responseCode = "400", description = "The patched definition is invalid; nothing changed")
    @Operation(operationId = "patchWebhook", summary = "Change some of a webhook", description = "A JSON Merge Patch (RFC 7396): only the "
            + "fields named change; events is replaced whole; a new secret replaces the stored one.")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, description = "The fields to change",
            content = {
            @Content(mediaType = Representations.MERGE_PATCH, schema = @Schema(implementation = WebhookRequest.class),
                    examples = @ExampleObject(name = "pause", summary = "Stop deliveries for now",
                            value = "{\"enabled\": false}")),
            @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
                    schema = @Schema(implementation = WebhookRequest.class))})
    @PreAuthorize("hasRole('ADMIN')")
    @PatchMapping(path = "/{id}", consumes = {Representations.MERGE_PATCH, MediaType.APPLICATION_JSON_VALUE})
    WebhookView patch(@PathVariable UUID id, @RequestBody JsonNode patch) {
        return webhooks.update(id, current -> {
            WebhookRequest r = representations.patch(WebhookRequest.of(current), patch, WebhookRequest.class);
            return new WebhookService.Definition(r.url(), r.secret(), r.events(), r.enabled());
        });
    }

    @ApiResponse(responseCode = "204", description = "Deleted")
    @Operation(operationId = "deleteWebhook", summary = "Delete a webhook and its delivery history")
    @PreAuthorize("hasRole('ADMIN')")
    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(@PathVariable UUID id) {
        webhooks.delete(id);
        return ResponseEntity.noContent().build();
    }

    @ApiResponse(responseCode = "200", description = "Up to 100 deliveries, newest first")
    @Operation(operationId = "listWebhookDeliveries",
            summary = "A webhook's newest 100 deliveries", description = "Status, attempts, the last HTTP "
            + "status or error, and when the next attempt is due.")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping("/{id}/deliveries")
    List<DeliveryView> deliveries(@PathVariable UUID id) {
        return webhooks.deliveries(id);
    }
}
