package io.pgvault.job;

/** Carries out the jobs of one type. One bean per {@link JobType}. */
public interface JobHandler {

    JobType type();

    /** Does the work; returns normally on success, throws to fail the job. */
    void run(JobContext context) throws Exception;

    /** At most {@code pgvault.jobs.max-backups-per-cluster} jobs of this type run at once per cluster. */
    default boolean limitedPerCluster() {
        return false;
    }

    /**
     * Cleans up after a job of this type that ended without {@link #run} finishing it: cancelled
     * while queued, or interrupted by a server that died. Must be idempotent.
     */
    default void abandon(Job job, String reason) {
    }
}
