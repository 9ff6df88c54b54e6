package io.pgvault.security;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.access.expression.method.MethodSecurityExpressionHandler;
import org.springframework.security.authorization.AuthorizationDeniedException;
import org.springframework.security.authorization.AuthorizationResult;
import org.springframework.security.authorization.method.PreAuthorizeAuthorizationManager;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.util.SimpleMethodInvocation;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Checks an operation's {@code @PreAuthorize} once before its arguments are read, with every argument unknown
 * (null). Method security alone runs after Spring MVC has read and validated the body, so a VIEWER sending a
 * malformed body to an OPERATOR endpoint would learn of its mistakes (400) instead of being refused (403), and
 * the audit trail would record a failure, not a denial. The expressions are written so that an unknown argument
 * grants what a known one might ({@code #request?.replace() != true}): this check refuses what no body could
 * allow, and the method call's own check decides on the body.
 */
@Configuration
class EarlyMethodAuthorization implements HandlerInterceptor, WebMvcConfigurer {

    private final PreAuthorizeAuthorizationManager rules = new PreAuthorizeAuthorizationManager();

    EarlyMethodAuthorization(MethodSecurityExpressionHandler expressions) {
        rules.setExpressionHandler(expressions);
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this).addPathPatterns("/api/v1/**");
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        // an asynchronous answer's re-dispatch was decided on its first dispatch
        if (handler instanceof HandlerMethod method && request.getDispatcherType() == DispatcherType.REQUEST) {
            Object[] unknown = new Object[method.getMethod().getParameterCount()];
            AuthorizationResult result = rules.authorize(
                    () -> SecurityContextHolder.getContext().getAuthentication(),
                    new SimpleMethodInvocation(method.getBean(), method.getMethod(), unknown));
            if (result != null && !result.isGranted()) {
                throw new AuthorizationDeniedException("Access Denied", result);
            }
        }
        return true;
    }
}
