package io.pgvault.job;

/** Why a job (or other cancellable work) was cancelled; the job's outcome follows from it, never from its text. */
public enum CancelCause {

    /** Someone asked ({@code POST /jobs/{id}/cancel}), or the work's owner stopped it: CANCELLED. */
    USER(JobStatus.CANCELLED),
    /** It ran longer than {@code pgvault.jobs.timeout}: FAILED, its work was not done. */
    TIMEOUT(JobStatus.FAILED),
    /** This instance is shutting down: CANCELLED. */
    SHUTDOWN(JobStatus.CANCELLED);

    private final JobStatus outcome;

    CancelCause(JobStatus outcome) {
        this.outcome = outcome;
    }

    /** The status a job cancelled for this cause ends in. */
    public JobStatus outcome() {
        return outcome;
    }
}
