package io.pgvault.monitoring.web;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The status page: static files under {@code /status/} (classpath {@code static/status}), reading the public API
 * with the token its user enters. {@code /} and {@code /status} lead to it; the page's links to its own files are
 * relative, so it works behind a proxy that serves pgvault under a path of its own.
 */
@Configuration(proxyBeanMethods = false)
class StatusPage implements WebMvcConfigurer {

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController("/", "status/");
        registry.addRedirectViewController("/status", "status/");
        registry.addViewController("/status/").setViewName("forward:/status/index.html");
    }
}
