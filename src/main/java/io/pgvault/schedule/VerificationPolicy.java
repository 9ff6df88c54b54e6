package io.pgvault.schedule;

import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.VerificationLevel;

/** Which verification follows each of a schedule's backups ({@code after}), and periodic drills ({@code drillCron}). */
public record VerificationPolicy(VerificationLevel after, String drillCron) {

    VerificationPolicy validated() {
        if (drillCron != null) {
            throw new InvalidRequestException("verification.drillCron", "periodic restore drills are not available "
                    + "in this version; leave drillCron out");
        }
        return this;
    }
}
