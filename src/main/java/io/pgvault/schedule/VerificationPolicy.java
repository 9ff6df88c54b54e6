package io.pgvault.schedule;

import io.pgvault.backup.VerificationLevel;
import io.swagger.v3.oas.annotations.media.Schema;
import tools.jackson.databind.json.JsonMapper;

/** Which verification follows each of a schedule's backups ({@code after}), and periodic drills ({@code drillCron}). */
@Schema(description = "Which verification follows each backup of a schedule (after), and periodic "
        + "restore drills (drillCron, Spring's six-field cron)")
public record VerificationPolicy(
        @Schema(description = "the verification level run after each successful backup (none when left out)")
        VerificationLevel after,
        @Schema(description = "Spring six-field cron for periodic RESTORE drills of the newest backup (none "
                + "when left out)")
        String drillCron) {

    VerificationPolicy validated() {
        return this;
    }

    /** The policy as a schedule's row stores it (JSON), or null when it has none. */
    static VerificationPolicy read(JsonMapper json, String stored) {
        return stored == null ? null : json.readValue(stored, VerificationPolicy.class);
    }
}
