package io.pgvault.security;

import static org.springframework.http.HttpMethod.DELETE;
import static org.springframework.http.HttpMethod.GET;
import static org.springframework.http.HttpMethod.HEAD;
import static org.springframework.http.HttpMethod.POST;
import static org.springframework.http.HttpMethod.PUT;

import jakarta.servlet.DispatcherType;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;
import org.springframework.security.web.context.RequestAttributeSecurityContextRepository;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.header.writers.DelegatingRequestMatcherHeaderWriter;
import org.springframework.security.web.header.writers.StaticHeadersWriter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;

/**
 * Who may call what. Bearer tokens only: no sessions, no cookies (so no CSRF), no CORS (browsers on other
 * origins are refused), no login form. Open without a token: the liveness and readiness probes (without
 * details), the API documentation and the status page's files (they hold no data: the page asks the API with the
 * token its user types in); everything else needs a token whose role allows the request.
 */
@Configuration
class SecurityConfiguration {

    private static final String VIEWER = "VIEWER";
    private static final String OPERATOR = "OPERATOR";
    private static final String ADMIN = "ADMIN";
    /**
     * The status page runs only its own files and talks only to this server: no inline script or style (what an
     * injected string in a cluster's name or a job's error could become), no other origin, no framing.
     */
    private static final String STATUS_PAGE_POLICY = "default-src 'self'; object-src 'none'; base-uri 'none'; "
            + "form-action 'self'; frame-ancestors 'none'";

    @Bean
    SecurityFilterChain api(HttpSecurity http, ApiTokenService apiTokens, ArchiveTokenCheck archiveTokens,
            CopyTokenCheck copyTokens, SecurityAudit audit) throws Exception {
        ProblemResponses problems = new ProblemResponses(audit);
        // The token's caller is kept on the request: an asynchronous answer (a job wait) is re-dispatched and
        // authorized again with the caller of the request itself, no token check and no bypass.
        SecurityContextRepository callers = new RequestAttributeSecurityContextRepository();
        http.csrf(c -> c.disable())
                .cors(c -> c.disable())
                .httpBasic(b -> b.disable())
                .formLogin(f -> f.disable())
                .logout(l -> l.disable())
                .requestCache(r -> r.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .securityContext(c -> c.securityContextRepository(callers))
                .addFilterBefore(new TokenAuthenticationFilter(apiTokens, archiveTokens, copyTokens, callers),
                        AnonymousAuthenticationFilter.class)
                .exceptionHandling(e -> e.authenticationEntryPoint(problems).accessDeniedHandler(problems))
                .headers(h -> h.addHeaderWriter(new DelegatingRequestMatcherHeaderWriter(
                        PathPatternRequestMatcher.withDefaults().matcher("/status/**"),
                        new StaticHeadersWriter("Content-Security-Policy", STATUS_PAGE_POLICY))))
                .authorizeHttpRequests(a -> a
                        // the request itself was authorized (or refused); its error page dispatch passes, while
                        // an ASYNC dispatch (a job wait's answer) goes through the rules below with its caller
                        .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll()
                        .requestMatchers("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness",
                                "/actuator/health/backups",
                                "/error",
                                "/swagger-ui.html", "/swagger-ui/**", "/v3/api-docs", "/v3/api-docs/**").permitAll()
                        // the status page: "/" leads to it, its files answer anyone (its data needs a token)
                        .requestMatchers(GET, "/", "/status", "/status/**").permitAll()
                        // WAL for archive_command and restore_command: the cluster's archive token suffices
                        // (writing into an archive is for its archive_command, or an admin repairing it)
                        .requestMatchers(PUT, TokenAuthenticationFilter.WAL_FILE)
                                .hasAnyAuthority(TokenAuthenticationFilter.WAL_ARCHIVE, "ROLE_" + ADMIN)
                        // reading it also for a recovered copy's fetch-only token (restore_command)
                        .requestMatchers(GET, TokenAuthenticationFilter.WAL_FILE)
                                .hasAnyAuthority(TokenAuthenticationFilter.WAL_ARCHIVE, TokenAuthenticationFilter.WAL_FETCH,
                                        "ROLE_" + OPERATOR)
                        .requestMatchers(HEAD, TokenAuthenticationFilter.WAL_FILE)
                                .hasAnyAuthority(TokenAuthenticationFilter.WAL_ARCHIVE, TokenAuthenticationFilter.WAL_FETCH,
                                        "ROLE_" + OPERATOR)
                        // reads that hand out data or credentials
                        .requestMatchers("/api/v1/clusters/*/archive-config").hasRole(ADMIN)
                        .requestMatchers("/api/v1/backups/*/content").hasRole(OPERATOR)
                        .requestMatchers("/api/v1/tokens", "/api/v1/tokens/**", "/api/v1/audit").hasRole(ADMIN)
                        .requestMatchers(GET, "/api/v1/**").hasRole(VIEWER)
                        .requestMatchers(HEAD, "/api/v1/**").hasRole(VIEWER)
                        // operations: backups, verifications, restores and recoveries to new targets, cancels, pins
                        .requestMatchers(POST, "/api/v1/clusters/*/backups", "/api/v1/clusters/*/check",
                                "/api/v1/clusters/*/recoveries", "/api/v1/clusters/*/wal/verifications",
                                "/api/v1/clusters/*/extractions", "/api/v1/clusters/*/extractions/preview",
                                "/api/v1/backups/*/verifications", "/api/v1/backups/*/copies",
                                "/api/v1/backups/*/restores", "/api/v1/jobs/*/cancel", "/api/v1/schedules/*/runs",
                                "/api/v1/clusters/*/proof/runs")
                                .hasRole(OPERATOR)
                        .requestMatchers(PUT, "/api/v1/backups/*/pin").hasRole(OPERATOR)
                        .requestMatchers(DELETE, "/api/v1/backups/*/pin").hasRole(OPERATOR)
                        // the rest of the API changes what is protected or kept: clusters, schedules, retention,
                        // deletes, notifications
                        .requestMatchers("/api/v1/**").hasRole(ADMIN)
                        .requestMatchers("/actuator/**").hasRole(VIEWER)
                        .anyRequest().authenticated());
        return http.build();
    }

    /** A request the firewall refuses (an encoded slash or dot segment, a NUL...) is a 400 problem like others. */
    @Bean
    RequestRejectedHandler problemForRejectedRequests() {
        return (request, response, e) -> ProblemResponses.write(request, response, 400, "Invalid request",
                "the request path or headers are not acceptable (encoded slashes, dot segments, control "
                        + "characters and the like are refused)");
    }

    /** No user names or passwords exist (and Spring Boot must not generate one). */
    @Bean
    UserDetailsService noUsers() {
        return username -> {
            throw new UsernameNotFoundException("pgvault has no users, only API tokens");
        };
    }
}
