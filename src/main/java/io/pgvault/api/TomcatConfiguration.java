package io.pgvault.api;

import org.apache.catalina.core.StandardHost;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Lets encoded slashes reach the application, so a hostile name such as {@code ..%2F..%2Fetc} is
 * refused by pgvault's own validation with problem+json instead of Tomcat's HTML error page. Names
 * are always validated against strict patterns, so nothing can traverse.
 */
@Configuration(proxyBeanMethods = false)
class TomcatConfiguration {

    @Bean
    TomcatConnectorCustomizer encodedSlashesReachValidation() {
        return connector -> connector.setEncodedSolidusHandling("passthrough");
    }

    /**
     * Sends "100 Continue" only once a handler reads the body (Tomcat's default sends it at once): a request
     * refused before that, such as a WAL push announced larger than the file may be or one without a valid
     * token, is answered before a client that asked (curl does, for large uploads) sends its body.
     */
    @Bean
    TomcatConnectorCustomizer continueOnlyWhenTheBodyIsRead() {
        return connector -> connector.setProperty("continueResponseTiming", "onRead");
    }

    /**
     * Reads request bodies from the socket in 64 KiB pieces instead of Tomcat's 8 KiB: a 16 MiB WAL push then
     * takes 256 reads, not 2048, each of which also passes through the segment checks, the hash and the
     * compressor.
     */
    @Bean
    TomcatConnectorCustomizer largerSocketReads() {
        return connector -> connector.setProperty("socket.appReadBufSize", "65536");
    }

    /** Tomcat's own error answers (before any servlet) as problem+json; see {@link ProblemErrorReportValve}. */
    @Bean
    TomcatContextCustomizer problemJsonFromTomcat() {
        return context -> {
            if (context.getParent() instanceof StandardHost host) {
                host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
            }
        };
    }
}
