package io.pgvault.audit;

import io.pgvault.security.Caller;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Set;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/** Hands every audited API request to the trail once it is answered. */
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
        String pattern = (String) request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        String method = request.getMethod();
        boolean read = "GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method);
        // WAL pushes by an archive token are recorded by the archive itself; anyone else's are audited
        boolean archivePush = WAL_FILE.equals(pattern)
                && Caller.current().map(c -> c.archiveCluster() != null).orElse(false);
        if (read ? AUDITED_READS.contains(pattern) : !archivePush) {
            trail.answered(request, response, ex);
        }
    }
}
