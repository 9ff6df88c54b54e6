package io.pgvault.job;

import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * One line that names why something failed, for a job's error and its log: the message of the failure, plus
 * what it hides deeper in its chain: the S3 answer (HTTP status, error code, message) or the network error
 * (connection refused, reset, timed out). Java's own bookkeeping exceptions never stand in for the cause: a
 * try-with-resources whose resource rethrows the body's exception on close fails with "Self-suppression not
 * permitted", which names nothing; the exception it carries is what went wrong.
 */
public final class FailureCause {

    private static final int DEPTH = 16;

    private FailureCause() {
    }

    /** The failure in one line, naming its S3 or network cause where the chain holds one. */
    public static String describe(Throwable failure) {
        Throwable e = unwrap(failure);
        String message = message(e);
        String cause = deepCause(e);
        if (cause == null || message.contains(cause)) {
            return oneLine(message);
        }
        return oneLine(message + " (cause: " + cause + ")");
    }

    /** The S3 answer or network error deep in the chain, or null when there is none. */
    static String deepCause(Throwable e) {
        String network = null;
        Throwable t = e;
        for (int depth = 0; t != null && depth < DEPTH; depth++, t = t.getCause()) {
            if (t instanceof AwsServiceException aws) {
                return s3Answer(aws);
            }
            if (network == null && isNetwork(t)) {
                network = "network error: " + t.getClass().getSimpleName()
                        + (t.getMessage() == null ? "" : ": " + t.getMessage());
            }
            if (t instanceof SdkClientException && t.getCause() == null && network == null) {
                network = t.getMessage();
            }
        }
        return network;
    }

    private static String s3Answer(AwsServiceException aws) {
        AwsErrorDetails details = aws.awsErrorDetails();
        String code = details == null ? null : details.errorCode();
        String text = details == null ? null : details.errorMessage();
        return "S3 answered HTTP " + aws.statusCode() + (code == null ? "" : " " + code)
                + (text == null ? "" : ": " + text);
    }

    private static boolean isNetwork(Throwable t) {
        return t instanceof ConnectException || t instanceof SocketException || t instanceof SocketTimeoutException
                || t instanceof UnknownHostException || t instanceof ClosedChannelException
                || t instanceof java.net.http.HttpTimeoutException
                || t.getClass().getName().startsWith("org.apache.hc.core5.http.")
                || t.getClass().getName().startsWith("org.apache.http.");
    }

    /** Past Java's bookkeeping exceptions to the failure they carry. */
    static Throwable unwrap(Throwable failure) {
        Throwable e = failure;
        for (int depth = 0; depth < DEPTH && e.getCause() != null && isBookkeeping(e); depth++) {
            e = e.getCause();
        }
        return e;
    }

    private static boolean isBookkeeping(Throwable e) {
        String message = e.getMessage();
        return e instanceof IllegalArgumentException && message != null && message.startsWith("Self-suppression")
                || e instanceof java.util.concurrent.ExecutionException
                || e instanceof java.util.concurrent.CompletionException
                || e instanceof java.io.UncheckedIOException && e.getCause() != null
                        && message != null && message.endsWith(e.getCause().toString());
    }

    private static String message(Throwable e) {
        return e.getMessage() != null && !e.getMessage().isBlank() ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
