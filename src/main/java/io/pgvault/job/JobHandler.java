package io.pgvault.job;

/**
 * Carries out the jobs of one type. One bean per {@link JobType}.
 *
 * <p>The payload is stored in the catalog as JSON text and read into {@link #payloadType()} once, by the engine,
 * before {@link #run} or {@link #abandon}: a handler never parses its own payload, and the stored format is the
 * payload record's own business (its deserializer reads every format earlier versions wrote).
 *
 * @param <P> the record a job of this type carries, {@link NoPayload} when it carries none
 */
public interface JobHandler<P> {

    JobType type();

    /** The record the stored payload is read into. */
    Class<P> payloadType();

    /** Does the work; returns normally on success, throws to fail the job. */
    void run(JobContext context, P payload) throws Exception;

    /** At most {@code pgvault.jobs.max-backups-per-cluster} jobs of this type run at once per cluster. */
    default boolean limitedPerCluster() {
        return false;
    }

    /**
     * Cleans up after a job of this type that ended without {@link #run} finishing it: cancelled
     * while queued, or interrupted by a server that died. Must be idempotent. The payload is null when the
     * stored one cannot be read.
     */
    default void abandon(Job job, P payload, String reason) {
    }
}
