package io.pgvault.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.springframework.dao.DataAccessException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.transaction.TransactionException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Reads {@code Authorization: Bearer <token>}: an API token (any endpoint its role allows) or, on
 * {@code /api/v1/clusters/{name}/wal/{file}} only, that cluster's archive token or a recovered copy's token
 * (which the fetch itself limits to the WAL its recovery reads). A request without a valid
 * token goes on unauthenticated, and the rules then answer 401 wherever a token is needed. It runs once per
 * request: an asynchronous answer's re-dispatch is not checked again, it keeps the caller saved here.
 */
final class TokenAuthenticationFilter extends OncePerRequestFilter {

    static final String WAL_ARCHIVE = "WAL_ARCHIVE";
    /** A recovered copy's credential: fetch its cluster's WAL, nothing else. */
    static final String WAL_FETCH = "WAL_FETCH";
    static final String WAL_FILE = "/api/v1/clusters/{name}/wal/{file}";
    private static final int MAX_TOKEN = 512;

    private final ApiTokenService apiTokens;
    private final ArchiveTokenCheck archiveTokens;
    private final CopyTokenCheck copyTokens;
    private final SecurityContextRepository callers;
    private final RequestMatcher walFile = PathPatternRequestMatcher.withDefaults().matcher(WAL_FILE);

    TokenAuthenticationFilter(ApiTokenService apiTokens, ArchiveTokenCheck archiveTokens, CopyTokenCheck copyTokens,
            SecurityContextRepository callers) {
        this.apiTokens = apiTokens;
        this.archiveTokens = archiveTokens;
        this.copyTokens = copyTokens;
        this.callers = callers;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = header.substring(7).strip();
            Optional<UsernamePasswordAuthenticationToken> auth;
            try {
                auth = token.isEmpty() || token.length() > MAX_TOKEN ? Optional.empty() : authenticate(request, token);
            } catch (DataAccessException | TransactionException e) {
                ProblemResponses.write(request, response, 503, "Service unavailable",
                        "the catalog database cannot be reached to check the token; try again later");
                return;
            }
            if (auth.isPresent()) {
                SecurityContext context = SecurityContextHolder.getContextHolderStrategy().createEmptyContext();
                context.setAuthentication(auth.get());
                SecurityContextHolder.getContextHolderStrategy().setContext(context);
                // an ASYNC re-dispatch of this request skips this filter and finds its caller here
                callers.saveContext(context, request, response);
            } else {
                request.setAttribute(ProblemResponses.INVALID_TOKEN, Boolean.TRUE);
            }
        }
        chain.doFilter(request, response);
    }

    private Optional<UsernamePasswordAuthenticationToken> authenticate(HttpServletRequest request, String token) {
        if (token.startsWith(ArchiveTokenCheck.PREFIX)) {
            RequestMatcher.MatchResult match = walFile.matcher(request);
            if (!match.isMatch()) {
                return Optional.empty();
            }
            String cluster = match.getVariables().get("name");
            if (!archiveTokens.matches(cluster, token)) {
                if ("PUT".equals(request.getMethod())) {
                    archiveTokens.refused(cluster, match.getVariables().get("file"));
                }
                return Optional.empty();
            }
            return Optional.of(UsernamePasswordAuthenticationToken.authenticated(
                    new Caller("archive:" + cluster, null, cluster), null,
                    List.of(new SimpleGrantedAuthority(WAL_ARCHIVE))));
        }
        if (token.startsWith(CopyTokenCheck.PREFIX)) {
            RequestMatcher.MatchResult match = walFile.matcher(request);
            if (!match.isMatch() || !("GET".equals(request.getMethod()) || "HEAD".equals(request.getMethod()))) {
                return Optional.empty();
            }
            String cluster = match.getVariables().get("name");
            return copyTokens.check(cluster, token).map(copy -> {
                request.setAttribute(CopyTokenCheck.ATTRIBUTE, copy);
                return UsernamePasswordAuthenticationToken.authenticated(
                        new Caller("copy:" + cluster + ":" + copy.jobId(), null, cluster), null,
                        List.of(new SimpleGrantedAuthority(WAL_FETCH)));
            });
        }
        return apiTokens.authenticate(token).map(caller -> UsernamePasswordAuthenticationToken.authenticated(
                caller, null, caller.role().authorities()));
    }
}
