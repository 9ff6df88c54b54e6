package io.pgvault.backup;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Map;

/**
 * What a verification job does: its level and, for RESTORE drills, the cluster to restore on (default: the
 * backup's). Stored as {@code {"level":...,"drillCluster":...}}; jobs queued by earlier versions, and the WAL
 * range checks, carry a bare string ({@code "LIST"}, {@code "WAL"}), which {@link #read} accepts too, so that no
 * handler has to tell the formats apart.
 */
public record VerificationOrder(VerificationLevel level, String drillCluster) {

    /** The WAL range check's order: it concerns no backup, so it has no level. */
    public static final VerificationOrder WAL = new VerificationOrder(null, null);

    /** Reads every stored format: a bare level or {@code "WAL"}, or the object. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static VerificationOrder read(Object stored) {
        if (stored instanceof String level) {
            return "WAL".equals(level) ? WAL : new VerificationOrder(VerificationLevel.valueOf(level), null);
        }
        if (stored instanceof Map<?, ?> fields) {
            Object level = fields.get("level");
            Object drillCluster = fields.get("drillCluster");
            return new VerificationOrder(level == null ? null : VerificationLevel.valueOf(level.toString()),
                    drillCluster == null ? null : drillCluster.toString());
        }
        throw new IllegalArgumentException("not a verification order: " + stored);
    }
}
