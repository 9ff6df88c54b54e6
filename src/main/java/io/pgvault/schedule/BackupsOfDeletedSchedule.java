package io.pgvault.schedule;

import io.pgvault.api.InvalidRequestException;
import java.util.Locale;

/** What deleting a schedule does to the backups it took. */
public enum BackupsOfDeletedSchedule {
    /** They keep the retention policy they were taken under (the default: nothing shortens their lives). */
    KEEP,
    /** They fall under the cluster's policy from the next retention run on. */
    RELEASE,
    /** They expire now, except pinned ones and those a job is using. */
    EXPIRE;

    /** From the query parameter {@code backups}: keep (also when absent), release or expire. */
    public static BackupsOfDeletedSchedule of(String value) {
        if (value == null || value.isBlank()) {
            return KEEP;
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("backups", "backups must be keep (the default: they keep the retention "
                    + "policy they were taken under), release (the cluster's policy decides about them) or expire "
                    + "(they expire now)");
        }
    }
}
