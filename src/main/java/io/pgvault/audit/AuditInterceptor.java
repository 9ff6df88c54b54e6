package io.pgvault.audit;

import io.pgvault.security.Caller;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Set;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Hands every audited API request to the trail once it is answered. An asynchronous answer (a job wait) is
 * handed over once, from its ASYNC re-dispatch, which runs with the request's own caller.
 */
@Configuration
class AuditInterceptor implements HandlerInterceptor, WebMvcConfigurer {

    /** Reads worth recording: they hand out a whole backup or a cluster's archive token. */
    private static final Set<String> AUDITED_READS = Set.of("/api/v1/backups/{id}/content",
            "/api/v1/clusters/{name}/archive-config");
    private static final String WAL_FILE = "/api/v1/clusters/{name}/wal/{file}";

    private final AuditTrail trail;

    AuditInterceptor(AuditTrail trail) {
        this.trail = trail;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this).addPathPatterns("/api/v1/**");
    }

    @Override
    public void afterCompletion(HttpServletRequest request, HttpServletResponse response, Object handler,
            Exception ex) {
        if (ex instanceof AccessDeniedException) {
            return; // refused by the operation's role rule: Spring Security records the denial (403)
        }
        String pattern = (String) request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        String method = request.getMethod();
        boolean read = "GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method);
        boolean wal = WAL_FILE.equals(pattern);
        // A cluster's archive token moves its WAL all day (archive_command, restore_command in every
        // recovery): the archive records each pushed file, and the trail stays readable. WAL that a person's
        // token pushes or downloads is audited like a backup download.
        if (wal && Caller.current().map(c -> c.archiveCluster() != null).orElse(false)) {
            return;
        }
        if (!read || AUDITED_READS.contains(pattern) || wal && "GET".equals(method)) {
            trail.answered(request, response, ex);
        }
    }
}
