package io.pgvault.storage;

import io.pgvault.PgvaultProperties;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/** The backup storage is writable and has more free space than {@code pgvault.storage.local.min-free-bytes}. */
@Component("storage")
class StorageHealthIndicator extends AbstractHealthIndicator {

    private final Workspace storage;
    private final long minFree;

    StorageHealthIndicator(Workspace storage, PgvaultProperties properties) {
        this.storage = storage;
        this.minFree = properties.storage().local().minFreeBytes();
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        long free = storage.usableSpace();
        boolean writable = storage.isWritable();
        builder.withDetail("location", storage.describe())
                .withDetail("freeBytes", free)
                .withDetail("thresholdBytes", minFree)
                .withDetail("writable", writable);
        if (!writable) {
            builder.down().withDetail("reason", "the backup storage is not writable");
        } else if (free < minFree) {
            builder.down().withDetail("reason", "free space is below the threshold");
        } else {
            builder.up();
        }
    }
}
