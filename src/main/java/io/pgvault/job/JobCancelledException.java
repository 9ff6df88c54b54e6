package io.pgvault.job;

/** The job was cancelled while it ran. */
public class JobCancelledException extends RuntimeException {

    public JobCancelledException(String reason) {
        super(reason);
    }
}
