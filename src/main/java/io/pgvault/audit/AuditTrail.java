package io.pgvault.audit;

import io.pgvault.api.PageResponse;
import io.pgvault.api.Paging;
import io.pgvault.security.Caller;
import io.pgvault.security.SecurityAudit;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.servlet.HandlerMapping;

/**
 * The audit trail: every request that changes something, downloads a backup or a WAL file, or reads an
 * archive token, and every request that the token's role does not allow (403). WAL that a cluster's archive
 * token pushes or fetches is not recorded here (the archive records each pushed file), nor are requests
 * without a valid token (401: logged only). Losing an entry never fails the request it describes: a catalog
 * fault is logged instead.
 */
@Service
public class AuditTrail implements SecurityAudit {

    private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);
    private static final Pattern JOB_LOCATION = Pattern.compile("/api/v1/jobs/([0-9a-fA-F-]{36})");

    private final AuditRepository events;
    private final Clock clock;

    AuditTrail(AuditRepository events, Clock clock) {
        this.events = events;
        this.clock = clock;
    }

    /** Records a request the API answered. */
    void answered(HttpServletRequest request, HttpServletResponse response, Exception failure) {
        int status = failure != null && response.getStatus() < 400 ? 500 : response.getStatus();
        recordRoute(request, response.getHeader("Location"), status);
    }

    @Override
    public void denied(HttpServletRequest request, int status) {
        if (status == 401) {
            // anyone can send requests without a valid token: logged, not stored, so nobody can fill the catalog
            log.info("audit: refused {} {} without a valid token from {}", request.getMethod(),
                    cut(request.getRequestURI(), 200), request.getRemoteAddr());
            return;
        }
        // refused by an operation's role rule, its route is known (and with it the cluster or backup)
        recordRoute(request, null, status);
    }

    private void recordRoute(HttpServletRequest request, String location, int status) {
        String pattern = (String) request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        @SuppressWarnings("unchecked")
        Map<String, String> vars = (Map<String, String>) request.getAttribute(
                HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE);
        vars = vars == null ? Map.of() : vars;
        String cluster = pattern != null && pattern.startsWith("/api/v1/clusters/{name}") ? vars.get("name") : null;
        UUID backup = pattern != null && pattern.startsWith("/api/v1/backups/{id}") ? uuid(vars.get("id")) : null;
        UUID job = pattern != null && pattern.startsWith("/api/v1/jobs/{id}") ? uuid(vars.get("id")) : null;
        if (job == null && location != null) {
            Matcher m = JOB_LOCATION.matcher(location);
            job = m.find() ? uuid(m.group(1)) : null;
        }
        record(request, pattern == null ? request.getRequestURI() : pattern, cluster, backup, job, status);
    }

    @Transactional(readOnly = true)
    public PageResponse<AuditEntry> list(String cluster, String actor, int page, int size) {
        Pageable pageable = Paging.newestFirst(page, size, "at");
        Page<AuditEvent> found = cluster != null && actor != null ? events.findByClusterAndActor(cluster, actor,
                pageable) : cluster != null ? events.findByCluster(cluster, pageable)
                : actor != null ? events.findByActor(actor, pageable) : events.findAll(pageable);
        return PageResponse.of(found, AuditEntry::of);
    }

    private void record(HttpServletRequest request, String route, String cluster, UUID backup, UUID job, int status) {
        Caller caller = Caller.current().orElse(null);
        String actor = caller == null ? "anonymous" : caller.name();
        String role = caller == null || caller.role() == null ? null : caller.role().name();
        try {
            events.save(new AuditEvent(clock.instant(), actor, role, cut(request.getMethod() + " " + route, 200),
                    request.getMethod(), cut(request.getRequestURI(), 1000), cluster, backup, job, status,
                    cut(request.getRemoteAddr(), 64)));
        } catch (RuntimeException e) {
            // never fail the request it describes (the catalog may be unreachable)
            log.warn("audit: could not record {} {} by {} ({}): {}", request.getMethod(), route, actor, status,
                    e.getMessage());
        }
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

    private static UUID uuid(String s) {
        try {
            return s == null ? null : UUID.fromString(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
