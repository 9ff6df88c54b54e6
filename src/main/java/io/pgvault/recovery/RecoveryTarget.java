package io.pgvault.recovery;

import io.pgvault.api.InvalidRequestException;
import io.pgvault.wal.Lsn;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** Where a recovery stops: exactly one of a time, an LSN, a transaction id, a restore point, the end, or consistency. */
@Schema(description = "Where recovery stops: exactly one of time, lsn, xid, name, latest: true or "
        + "immediate: true")
public record RecoveryTarget(
        @Schema(description = "a time, ISO-8601 with a UTC offset, e.g. 2026-11-25T10:42:00+01:00")
        OffsetDateTime time,
        @Schema(description = "a WAL location (pg_lsn), e.g. 0/3000060") String lsn,
        @Schema(description = "a transaction id, 3 to 4294967295") Long xid,
        @Schema(description = "a restore point made with pg_create_restore_point(), 1 to 63 characters") String name,
        @Schema(description = "only true: replay all archived WAL") Boolean latest,
        @Schema(description = "only true: stop as soon as the base backup is consistent") Boolean immediate) {

    private static final DateTimeFormatter POSTGRES_TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSSxxx");

    /** Refuses anything but exactly one well-formed target. */
    public void validate() {
        List<String> given = new ArrayList<>();
        if (time != null) {
            given.add("time");
        }
        if (lsn != null) {
            given.add("lsn");
            Lsn.parse(lsn);
        }
        if (xid != null) {
            given.add("xid");
            if (xid < 3 || xid > 0xFFFFFFFFL) {
                throw new InvalidRequestException("target.xid", "xid must be a normal transaction id, 3 to 4294967295");
            }
        }
        if (name != null) {
            given.add("name");
            if (name.isEmpty() || name.length() > 63 || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new InvalidRequestException("target.name",
                        "a restore point name has 1 to 63 characters and no control characters");
            }
        }
        if (latest != null) {
            if (!latest) {
                throw new InvalidRequestException("target.latest", "latest can only be true");
            }
            given.add("latest");
        }
        if (immediate != null) {
            if (!immediate) {
                throw new InvalidRequestException("target.immediate", "immediate can only be true");
            }
            given.add("immediate");
        }
        if (given.size() != 1) {
            throw new InvalidRequestException("target", "target must hold exactly one of time, lsn, xid, name, "
                    + "latest: true or immediate: true" + (given.isEmpty() ? "" : "; it holds " + given));
        }
    }

    public boolean isLatest() {
        return Boolean.TRUE.equals(latest);
    }

    public boolean isImmediate() {
        return Boolean.TRUE.equals(immediate);
    }

    /** The target as postgresql.conf settings (none for latest: replay everything). */
    List<String> settings() {
        List<String> lines = new ArrayList<>();
        if (time != null) {
            // PostgreSQL reads timestamptz input, which wants a space rather than ISO-8601's "T"
            lines.add(RecoveryConfig.setting("recovery_target_time", POSTGRES_TIME.format(time)));
        } else if (lsn != null) {
            lines.add(RecoveryConfig.setting("recovery_target_lsn", Lsn.parse(lsn).toString()));
        } else if (xid != null) {
            lines.add(RecoveryConfig.setting("recovery_target_xid", Long.toString(xid)));
        } else if (name != null) {
            lines.add(RecoveryConfig.setting("recovery_target_name", name));
        } else if (isImmediate()) {
            lines.add(RecoveryConfig.setting("recovery_target", "immediate"));
        }
        return lines;
    }

    @Override
    public String toString() {
        return time != null ? "time " + time : lsn != null ? "lsn " + lsn : xid != null ? "xid " + xid
                : name != null ? "restore point '" + name + "'" : isLatest() ? "latest" : "immediate";
    }
}
