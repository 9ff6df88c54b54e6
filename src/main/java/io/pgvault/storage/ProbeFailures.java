package io.pgvault.storage;

import io.pgvault.storage.Repositories.Repository;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

/**
 * Why a probe failed, told as the setting to fix: an S3 repository that is misconfigured (a wrong bucket,
 * credentials or region) answers with an error code that points at exactly one setting, and health says
 * which one instead of repeating the SDK's message alone.
 */
final class ProbeFailures {

    private ProbeFailures() {
    }

    static String explain(Repository repository, Throwable failure) {
        String setting = "pgvault.repositories." + repository.name() + ".";
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        AwsServiceException s3 = find(failure, AwsServiceException.class);
        if (s3 != null) {
            String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
            String said = "S3 answered " + s3.statusCode() + (code == null ? "" : " " + code) + ": ";
            if ("NoSuchBucket".equals(code) || (s3.statusCode() == 404 && code == null)) {
                return said + "the bucket does not exist (" + repository.store().describe() + "); check "
                        + setting + "bucket (and " + setting + "endpoint)";
            }
            if ("InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code)
                    || "InvalidToken".equals(code) || "ExpiredToken".equals(code)) {
                return said + "the credentials were refused; check " + setting + "access-key and " + setting
                        + "secret-key";
            }
            if ("AuthorizationHeaderMalformed".equals(code) || "PermanentRedirect".equals(code)
                    || "IllegalLocationConstraintException".equals(code) || s3.statusCode() == 301) {
                return said + "the bucket is in another region; check " + setting + "region";
            }
            if ("AccessDenied".equals(code) || s3.statusCode() == 403) {
                return said + "access denied; the credentials (" + setting + "access-key) need list, put and "
                        + "delete rights on the bucket (" + setting + "bucket)";
            }
            return said + message;
        }
        if (find(failure, UnknownHostException.class) != null || find(failure, ConnectException.class) != null) {
            return "cannot connect: " + message + "; check " + setting + "endpoint";
        }
        if (find(failure, SocketTimeoutException.class) != null) {
            return "no answer: " + message;
        }
        return message;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
