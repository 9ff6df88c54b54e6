package io.pgvault.job;

/** The payload of job types that carry nothing beyond their cluster and backup (stored as null or {@code {}}). */
public record NoPayload() {

    public static final NoPayload INSTANCE = new NoPayload();
}
