package io.pgvault.security;

import static org.springframework.http.HttpMethod.GET;

import jakarta.servlet.DispatcherType;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.access.expression.method.DefaultMethodSecurityExpressionHandler;
import org.springframework.security.access.expression.method.MethodSecurityExpressionHandler;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;
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
 * token its user types in); everything else needs a token. Which token may call an operation is decided in one
 * place only, next to the operation: its {@code @PreAuthorize} (checked before the request body is read, see
 * {@link EarlyMethodAuthorization}, and again with the body).
 */
@Configuration
@EnableMethodSecurity
class SecurityConfiguration {

    private static final String VIEWER = "VIEWER";
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
                        // the request itself was authorized (or refused); its error page dispatch passes
                        .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll()
                        .requestMatchers("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness",
                                "/actuator/health/backups",
                                "/error",
                                "/swagger-ui.html", "/swagger-ui/**", "/v3/api-docs", "/v3/api-docs/**").permitAll()
                        // the status page: "/" leads to it, its files answer anyone (its data needs a token)
                        .requestMatchers(GET, "/", "/status", "/status/**").permitAll()
                        // no controllers here to annotate: the health details and metrics are for readers
                        .requestMatchers("/actuator/**").hasRole(VIEWER)
                        // the API: a token is needed here; which role (or archive or copy token) may call an
                        // operation is said next to it, by its @PreAuthorize (see EarlyMethodAuthorization)
                        .anyRequest().authenticated());
        return http.build();
    }

    /** The same expressions for the early check and for the method call ({@code @bean} references resolve). */
    @Bean
    static MethodSecurityExpressionHandler methodSecurityExpressionHandler(ApplicationContext context) {
        DefaultMethodSecurityExpressionHandler handler = new DefaultMethodSecurityExpressionHandler();
        handler.setApplicationContext(context);
        return handler;
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
