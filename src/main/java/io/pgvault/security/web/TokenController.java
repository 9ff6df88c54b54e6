package io.pgvault.security.web;

import io.pgvault.security.ApiTokenService;
import io.pgvault.security.Role;
import io.pgvault.security.TokenView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "Tokens", description = "API tokens (ADMIN only). Only their SHA-256 is stored; the value is shown once")
@RestController
@RequestMapping("/api/v1/tokens")
class TokenController {

    private final ApiTokenService tokens;

    TokenController(ApiTokenService tokens) {
        this.tokens = tokens;
    }

    /** A new token: a unique name, a role and, optionally, when it stops working. */
    @Schema(description = "A new token: a unique name, a role and, optionally, when it stops working",
            example = "{\"name\": \"nightly-ci\", \"role\": \"OPERATOR\", \"expiresAt\": \"2027-12-31T00:00:00Z\"}")
    record TokenRequest(@Schema(description = "unique; shown as the actor in the audit trail",
                    requiredMode = Schema.RequiredMode.REQUIRED) String name,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "VIEWER, OPERATOR or ADMIN") Role role,
            @Schema(description = "when it stops working, in the future (default: never)") Instant expiresAt) {
    }

    @ApiResponse(responseCode = "201", description = "The token, with its value in token: the only time it is shown",
            headers = @Header(name = "Location", description = "the new token",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @ApiResponse(responseCode = "409", description = "A token of that name exists")
    @Operation(operationId = "createToken",
            summary = "Create a token", description = "role: VIEWER (reads), OPERATOR (backups, verifications, "
            + "restores and recoveries to new targets, cancels, pins) or ADMIN (everything). The answer's token "
            + "field is the only time the value is shown.")
    @PreAuthorize("hasRole('ADMIN')")
    @PostMapping
    ResponseEntity<TokenView> create(
            @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "The token's name, role and expiry")
            @RequestBody TokenRequest request) {
        TokenView token = tokens.create(request.name(), request.role(), request.expiresAt());
        return ResponseEntity.created(URI.create("/api/v1/tokens/" + token.id())).body(token);
    }

    @ApiResponse(responseCode = "200", description = "Every token, without its value")
    @Operation(operationId = "listTokens", summary = "List tokens (without their values)")
    @PreAuthorize("hasRole('ADMIN')")
    @GetMapping
    List<TokenView> list() {
        return tokens.list();
    }

    @ApiResponse(responseCode = "204", description = "Revoked")
    @Operation(operationId = "revokeToken", summary = "Revoke a token", description = "It stops working at once.")
    @PreAuthorize("hasRole('ADMIN')")
    @DeleteMapping("/{id}")
    ResponseEntity<Void> revoke(@PathVariable UUID id) {
        tokens.revoke(id);
        return ResponseEntity.noContent().build();
    }
}
