package io.pgvault.schedule.web;

import io.pgvault.backup.web.BackupRequest;
import io.pgvault.cluster.RetentionPolicy;
import io.pgvault.schedule.ScheduleSpec;
import io.pgvault.schedule.VerificationPolicy;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** Creates or replaces a schedule. */
@Schema(description = "A schedule: when (cron, timeZone), what (backup), what to keep (retention) and how to "
        + "verify (verification); cron and backup are required", example = """
        {"cluster": "shop", "cron": "0 30 2 * * *", "timeZone": "Europe/Berlin",
         "backup": {"kind": "BASE"}, "retention": {"keepLast": 7, "weekly": 4},
         "verification": {"after": "LIST"}}""")
record ScheduleRequest(
        @Schema(description = "the registered cluster; cannot change once set") String cluster,
        @Schema(description = "Spring's six-field cron: second minute hour day-of-month month day-of-week",
                requiredMode = Schema.RequiredMode.REQUIRED) String cron,
        @Schema(description = "the zone the cron is read in (default UTC)") String timeZone,
        @Schema(description = "default true") Boolean enabled,
        @Schema(description = "the same body as a backup request", requiredMode = Schema.RequiredMode.REQUIRED)
        BackupRequest backup,
        RetentionPolicy retention,
        VerificationPolicy verification,
        @Schema(description = "repositories each backup of this schedule is copied to once it succeeded (COPY "
                + "jobs, see POST /api/v1/backups/{id}/copies)", example = "[\"offsite\"]") List<String> copyTo) {

    /** The request that gives {@code v} (PATCH's starting point). */
    static ScheduleRequest of(io.pgvault.schedule.ScheduleView v) {
        return new ScheduleRequest(v.cluster(), v.cron(), v.timeZone(), v.enabled(),
                v.backup() == null ? null : BackupRequest.of(v.backup()), v.retention(), v.verification(),
                v.copyTo());
    }

    ScheduleSpec toSpec() {
        return new ScheduleSpec(cluster, cron, timeZone, enabled, backup == null ? null : backup.toSpec(), retention,
                verification, copyTo);
    }
}
