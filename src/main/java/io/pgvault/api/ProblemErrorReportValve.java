package io.pgvault.api;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.tomcat.util.res.StringManager;

/**
 * Errors that Tomcat answers itself, before any servlet (a NUL or an invalid escape in the path, a request
 * it cannot parse), come out as problem+json like every other error instead of Tomcat's HTML page.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        String title = StringManager.getManager("org.apache.catalina.valves").getString("http." + status + ".reason");
        if (title == null || title.startsWith("http.")) {
            title = status < 500 ? "Bad request" : "Server error";
        }
        String detail = status < 500 ? "the request cannot be accepted as sent (its path, headers or body are not "
                + "valid HTTP for this server)" : "the server could not answer this request";
        String body = "{\"type\":\"about:blank\",\"title\":\"" + title.replace("\"", "'") + "\",\"status\":" + status
                + ",\"detail\":\"" + detail + "\"}";
        try {
            response.setContentType("application/problem+json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(body);
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone; nothing to tell it
        }
    }
}
