package io.pgvault.security;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.api.NotFoundException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * API tokens: creation (the value shown once), revocation, and the look-up of a presented token by its
 * SHA-256. {@code pgvault.security.admin-token} ({@code PGVAULT_ADMIN_TOKEN}) is an admin token that lives
 * only in the configuration; when it is unset and the catalog holds no admin token, one is generated at
 * start-up and printed once on standard output.
 */
@Service
public class ApiTokenService {

    private static final Logger log = LoggerFactory.getLogger(ApiTokenService.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,99}");
    static final String CONFIGURED_ADMIN = "admin-token (configuration)";
    private static final Duration LAST_USED_PRECISION = Duration.ofMinutes(1);
    private static final java.util.Set<String> RESERVED = java.util.Set.of("system", "anonymous", "pgvault");

    private final ApiTokenRepository tokens;
    private final Clock clock;
    private final byte[] configuredAdminHash;
    private final SecureRandom random = new SecureRandom();
    private final PrintStream console;

    @Autowired
    ApiTokenService(ApiTokenRepository tokens, Clock clock, PgvaultProperties properties) {
        this(tokens, clock, properties.security().adminToken(), System.out);
    }

    ApiTokenService(ApiTokenRepository tokens, Clock clock, String configuredAdmin, PrintStream console) {
        this.tokens = tokens;
        this.clock = clock;
        String configured = configuredAdmin == null ? "" : configuredAdmin.strip();
        if (!configured.isEmpty() && (configured.length() < 16 || configured.length() > 512
                || configured.chars().anyMatch(c -> c <= ' ' || c == 0x7f))) {
            // checked here, not by bean validation, whose failure report would print the value
            throw new IllegalStateException("pgvault.security.admin-token (PGVAULT_ADMIN_TOKEN) must be 16 to 512 "
                    + "characters without spaces or control characters");
        }
        this.configuredAdminHash = configured.isEmpty() ? null : sha256(configured);
        this.console = console;
    }

    /**
     * The caller a presented API token stands for, if it is valid. The configured admin token is checked
     * first, without the catalog, so that it works while the catalog is unreachable.
     */
    public Optional<Caller> authenticate(String token) {
        byte[] hash = sha256(token);
        if (configuredAdminHash != null && MessageDigest.isEqual(hash, configuredAdminHash)) {
            return Optional.of(new Caller(CONFIGURED_ADMIN, Role.ADMIN, null));
        }
        Instant now = clock.instant();
        return tokens.findByTokenHash(HexFormat.of().formatHex(hash)).filter(t -> !t.expired(now)).map(t -> {
            if (t.getLastUsedAt() == null || t.getLastUsedAt().isBefore(now.minus(LAST_USED_PRECISION))) {
                tokens.touch(t.getId(), now);
            }
            return new Caller(t.getName(), t.getRole(), null);
        });
    }

    @Transactional
    public TokenView create(String name, Role role, Instant expiresAt) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidRequestException("name",
                    "name must be 1 to 100 letters, digits, '.', '_', '@' or '-', starting with a letter or digit");
        }
        if (RESERVED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
            throw new InvalidRequestException("name", "'" + name + "' is reserved (the audit trail uses it)");
        }
        if (role == null) {
            throw new InvalidRequestException("role", "role must be VIEWER, OPERATOR or ADMIN");
        }
        Instant now = clock.instant();
        if (expiresAt != null && (!expiresAt.isAfter(now) || expiresAt.isAfter(now.plus(Duration.ofDays(3660))))) {
            throw new InvalidRequestException("expiresAt", "expiresAt must be in the future, at most 10 years ahead");
        }
        if (tokens.existsByName(name)) {
            throw new ConflictException("a token named '" + name + "' exists");
        }
        return issue(name, role, expiresAt, Caller.currentName(), now);
    }

    @Transactional(readOnly = true)
    public List<TokenView> list() {
        return tokens.findAllByOrderByCreatedAtDesc().stream().map(t -> TokenView.of(t, null)).toList();
    }

    @Transactional
    public void revoke(UUID id) {
        ApiToken token = tokens.findById(id).orElseThrow(() -> new NotFoundException("no token " + id));
        tokens.delete(token);
        log.info("API token '{}' ({}) revoked by {}", token.getName(), token.getRole(), Caller.currentName());
    }

    /** First start: with no configured admin token and no admin token in the catalog, makes one and prints it. */
    @EventListener(ApplicationReadyEvent.class)
    public void ensureAdmin() {
        Instant now = clock.instant();
        if (configuredAdminHash != null || tokens.findByRole(Role.ADMIN).stream().anyMatch(t -> !t.expired(now))) {
            return;
        }
        String name = "initial-admin";
        for (int i = 2; tokens.existsByName(name); i++) {
            name = "initial-admin-" + i;
        }
        TokenView admin;
        try {
            admin = issue(name, Role.ADMIN, null, "pgvault (first start)", now);
        } catch (DataIntegrityViolationException e) {
            log.info("Another instance generated the initial admin token at the same time; it printed it");
            return;
        }
        log.warn("No admin token existed: generated admin token '{}' and printed it once on standard output", name);
        console.println();
        console.println("  pgvault: no admin token existed, so one was generated. It is shown only this once:");
        console.println();
        console.println("      " + admin.token());
        console.println();
        console.println("  Send it as 'Authorization: Bearer <token>'. Create other tokens with POST /api/v1/tokens.");
        console.println();
        console.flush();
    }

    private TokenView issue(String name, Role role, Instant expiresAt, String createdBy, Instant now) {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String value = "pgv_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        ApiToken token = tokens.saveAndFlush(new ApiToken(UUID.randomUUID(), name, role,
                HexFormat.of().formatHex(sha256(value)), now, createdBy, expiresAt));
        log.info("API token '{}' ({}) created by {}", name, role, createdBy);
        return TokenView.of(token, value);
    }

    static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
