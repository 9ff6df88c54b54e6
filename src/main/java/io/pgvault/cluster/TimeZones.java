package io.pgvault.cluster;

import io.pgvault.api.InvalidRequestException;
import java.time.DateTimeException;
import java.time.ZoneId;

/** Time zones as requests name them: region ids (Europe/Berlin) or UTC, checked before anything is stored. */
public final class TimeZones {

    private TimeZones() {
    }

    /** The zone's id, or a 400 on {@code field} that says what a time zone looks like. */
    public static String check(String field, String timeZone) {
        try {
            return ZoneId.of(timeZone).getId();
        } catch (DateTimeException e) {
            throw new InvalidRequestException(field, field + " '" + timeZone.replaceAll("\\p{Cntrl}", "?")
                    + "' is not a time zone; use a region id such as Europe/Berlin, or UTC");
        }
    }
}
