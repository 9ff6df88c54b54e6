package io.pgvault.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** What a job's error says about a failure: its cause, in one line, never Java's bookkeeping. */
class FailureCauseTests {

    @Test
    void aResourceThatRethrowsTheBodysExceptionOnCloseIsDescribedByThatException() {
        IOException upload = new IOException("the upload of c/DUMP/1/dump.sql failed: Connection reset");
        AutoCloseable rethrowing = () -> {
            throw upload;
        };
        Throwable thrown = catchThrowable(() -> {
            try (AutoCloseable resource = rethrowing) {
                throw upload;
            }
        });
        assertThat(thrown).as("what Java makes of it").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Self-suppression");
        assertThat(FailureCause.describe(thrown)).isEqualTo("the upload of c/DUMP/1/dump.sql failed: Connection reset");
    }

    @Test
    void anS3AnswerIsNamedByStatusCodeAndMessage() {
        S3Exception s3 = (S3Exception) S3Exception.builder().statusCode(503).message("Service Unavailable "
                + "(Service: S3, Status Code: 503)").awsErrorDetails(AwsErrorDetails.builder().errorCode("SlowDown")
                .errorMessage("Please reduce your request rate.").build()).build();
        String said = FailureCause.describe(new IOException("could not store 'k' in S3 bucket b", s3));
        assertThat(said).isEqualTo("could not store 'k' in S3 bucket b (cause: S3 answered HTTP 503 SlowDown: "
                + "Please reduce your request rate.)");
    }

    @Test
    void aNetworkErrorIsNamedAndNothingIsSaidTwice() {
        SdkClientException sdk = SdkClientException.builder().message("Unable to execute HTTP request: Connection "
                + "reset").cause(new SocketException("Connection reset")).build();
        assertThat(FailureCause.describe(new IOException("could not read 'k'", sdk)))
                .isEqualTo("could not read 'k' (cause: network error: SocketException: Connection reset)");
        String already = "could not read 'k': network error: SocketException: Connection reset";
        assertThat(FailureCause.describe(new IOException(already, sdk))).isEqualTo(already);
    }

    @Test
    void aFailureWithoutAMessageIsNamedByItsTypeOnOneLine() {
        assertThat(FailureCause.describe(new IllegalStateException())).isEqualTo("IllegalStateException");
        assertThat(FailureCause.describe(new IOException("first line\n  second line"))).isEqualTo(
                "first line second line");
    }
}
