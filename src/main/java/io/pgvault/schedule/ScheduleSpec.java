package io.pgvault.schedule;

import io.pgvault.backup.BackupSpec;
import io.pgvault.cluster.RetentionPolicy;

/** What a schedule request asks for, before validation; {@code enabled} defaults to true, the zone to UTC. */
public record ScheduleSpec(String cluster, String cron, String timeZone, Boolean enabled, BackupSpec backup,
        RetentionPolicy retention, VerificationPolicy verification, java.util.List<String> copyTo) {
}
