package io.pgvault.retention;

import io.pgvault.backup.BackupKind;
import io.pgvault.backup.VerificationStatus;
import io.pgvault.cluster.RetentionPolicy;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** What retention keeps and removes for one cluster, entry by entry with the reasons, and the WAL that goes. */
@Schema(description = "What retention keeps and expires for one cluster, entry by entry with the "
        + "reasons, and the WAL that would go")
public record RetentionPlan(
        String cluster,
        @Schema(description = "the time the rules were applied at")
        Instant evaluatedAt,
        @Schema(description = "every backup retention looks at, with its decision")
        List<Decision> backups,
        @Schema(description = "the archived WAL that goes; null when no BASE backup is retained")
        WalRemoval wal,
        @Schema(description = "backups kept")
        int keep,
        @Schema(description = "backups that expire")
        int expire) {

    /**
     * One backup: {@code keep} or not, and why (every rule that keeps it, or why no rule does), under whose
     * policy ({@code policyName}: the cluster's, a schedule's, or the one recorded when a since deleted or
     * changed schedule took it), which rules, and the time zone its days begin in.
     */
    @Schema(name = "RetentionDecision",
            description = "One backup: keep or not, and why (every rule that keeps it, or why none does), "
                    + "under whose policy (policyName) and which rules")
    public record Decision(
            UUID backupId,
            BackupKind kind,
            String database,
            Instant finishedAt,
            UUID scheduleId,
            @Schema(description = "the backups compared with each other (same kind, database and policy)")
            String group,
            @Schema(description = "whether it stays")
            boolean keep,
            @Schema(description = "every rule that keeps it, or why no rule does")
            List<String> reasons,
            @Schema(description = "whose policy decides: the cluster, a schedule, or the one recorded with the "
                    + "backup")
            String policyName,
            @Schema(description = "the rules applied")
            RetentionPolicy policy,
            @Schema(description = "where its days begin")
            String timeZone,
            @Schema(description = "its verification status")
            VerificationStatus verification) {
    }

    /**
     * Archived WAL before {@code firstKept} on timelines up to {@code timeline}: the oldest retained BASE
     * backup's first segment. Null when no BASE backup is retained (then no WAL is removed).
     */
    @Schema(description = "Archived WAL that goes: files before firstKept (the oldest retained BASE "
            + "backup's first segment) on timelines up to timeline")
    public record WalRemoval(
            @Schema(description = "the first segment kept")
            String firstKept,
            @Schema(description = "the newest timeline WAL is removed on")
            long timeline,
            @Schema(description = "the oldest retained BASE backup")
            UUID anchorBackupId,
            @Schema(description = "the number of files that go")
            long files) {
    }
}
