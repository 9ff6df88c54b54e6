package io.pgvault.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import tools.jackson.databind.json.JsonMapper;

/** 401 and 403 as problem+json, like every other error of the API. */
final class ProblemResponses implements AuthenticationEntryPoint, AccessDeniedHandler {

    static final String INVALID_TOKEN = ProblemResponses.class.getName() + ".invalid";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final SecurityAudit audit;

    ProblemResponses(SecurityAudit audit) {
        this.audit = audit;
    }

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException {
        String detail = request.getAttribute(INVALID_TOKEN) != null
                ? "the bearer token is not valid (unknown, revoked, expired, or an archive token used outside its "
                        + "cluster's WAL)"
                : "this endpoint needs a token: send 'Authorization: Bearer <token>'";
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"pgvault\"");
        write(request, response, 401, "Unauthorized", detail);
        audit.denied(request, 401);
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
            throws IOException {
        Role role = Caller.current().map(Caller::role).orElse(null);
        String who = Caller.current().map(c -> c.role() == null ? "an archive or copy token" : "the " + c.role()
                + " role").orElse("this token");
        // roles are ordered: what a role is refused needs one of the roles above it
        String needs = role == Role.VIEWER ? "; it needs the OPERATOR or ADMIN role"
                : role == Role.OPERATOR ? "; it needs the ADMIN role" : "";
        write(request, response, 403, "Forbidden", who + " does not allow " + request.getMethod() + " "
                + request.getRequestURI() + (isPost(request) ? " as asked" : "") + needs
                + " (docs/roles.md lists what each role may do)");
        audit.denied(request, 403);
    }

    private static boolean isPost(HttpServletRequest request) {
        return "POST".equals(request.getMethod()) || "PUT".equals(request.getMethod())
                || "PATCH".equals(request.getMethod());
    }

    static void write(HttpServletRequest request, HttpServletResponse response, int status, String title,
            String detail) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        body.put("instance", request.getRequestURI());
        response.setStatus(status);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getOutputStream().write(JSON.writeValueAsBytes(body));
    }
}
