package io.pgvault.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * A client that lists {@code application/problem+json} in {@code Accept} says it can read pgvault's errors, not that
 * it wants an error: generated clients send the error type the document lists together with, or (openapi-generator's
 * Python client, when the success type is not JSON) instead of, the success type. Content negotiation would then
 * refuse the job log (text/plain) and WAL files (octet-stream) with 406, or label a JSON success as a problem. So the
 * problem types are taken out of {@code Accept} before negotiation ({@code *}{@code /*} when nothing else is left):
 * every operation answers its own success type, and errors are problem+json whatever was asked
 * ({@link ProblemHandler}).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class ProblemAcceptFilter extends OncePerRequestFilter {

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String accept = successTypes(Collections.list(request.getHeaders(HttpHeaders.ACCEPT)));
        chain.doFilter(accept == null ? request : new HttpServletRequestWrapper(request) {
            @Override
            public String getHeader(String name) {
                return HttpHeaders.ACCEPT.equalsIgnoreCase(name) ? accept : super.getHeader(name);
            }

            @Override
            public Enumeration<String> getHeaders(String name) {
                return HttpHeaders.ACCEPT.equalsIgnoreCase(name) ? Collections.enumeration(List.of(accept))
                        : super.getHeaders(name);
            }
        }, response);
    }

    /** The Accept header without the problem types, or null when it lists none (or cannot be read: left as is). */
    static String successTypes(List<String> headers) {
        if (headers.isEmpty()) {
            return null;
        }
        List<MediaType> types;
        try {
            types = MediaType.parseMediaTypes(headers);
        } catch (InvalidMediaTypeException e) {
            return null;
        }
        List<MediaType> rest = types.stream().filter(t -> !isProblem(t)).toList();
        if (rest.size() == types.size()) {
            return null;
        }
        return rest.isEmpty() ? MediaType.ALL_VALUE : MediaType.toString(rest);
    }

    private static boolean isProblem(MediaType type) {
        return type.getType().equals("application") && type.getSubtype().startsWith("problem+");
    }
}
