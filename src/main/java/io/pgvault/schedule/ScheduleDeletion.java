package io.pgvault.schedule;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.UUID;

/**
 * The answer to deleting a schedule: whether the schedule itself went now ({@code false} when it was gone
 * already and only its backups were released or expired), what happened to its backups ({@code backups}:
 * keep, release or expire), which backups that touched, which stayed as they were and why, in words.
 */
@Schema(description = "What deleting a schedule did: whether the schedule went now, what happened to "
        + "its backups (keep, release or expire), which backups that touched and which "
        + "stayed, and why")
public record ScheduleDeletion(
        UUID scheduleId,
        @Schema(description = "false when the schedule was gone already and only its backups were released or "
                + "expired")
        boolean scheduleDeleted,
        @Schema(description = "keep, release or expire")
        String backups,
        @Schema(description = "the backups released or expired")
        List<UUID> affected,
        @Schema(description = "the backups that stayed as they were (pinned, in use)")
        List<UUID> leftAlone,
        @Schema(description = "what happened, in words")
        String detail) {
}
