package io.pgvault.schedule;

import io.pgvault.backup.VerificationLevel;

/** Which verification follows each of a schedule's backups ({@code after}), and periodic drills ({@code drillCron}). */
public record VerificationPolicy(VerificationLevel after, String drillCron) {

    VerificationPolicy validated() {
        return this;
    }
}
