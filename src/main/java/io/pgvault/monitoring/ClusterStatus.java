package io.pgvault.monitoring;

import java.util.List;
import java.util.Map;

/** Whether a cluster's data is safe right now: the problems found (none when healthy) and the figures behind them. */
public record ClusterStatus(String cluster, List<Problem> problems, Map<String, Object> details) {

    /** What kind of risk, and the sentence that says it. */
    public record Problem(Kind kind, String detail) {
    }

    /** The kinds of risk a cluster can be in. */
    public enum Kind {
        RPO_BREACHED, BACKUP_FAILED, VERIFICATION_FAILED, WAL_ARCHIVE_LAG, WAL_ARCHIVE_FAILING, WAL_ARCHIVE_GAP,
        WAL_COPY_LAG, WAL_DAMAGED, PROOF_FAILED
    }

    public boolean healthy() {
        return problems.isEmpty();
    }

    public List<String> messages() {
        return problems.stream().map(Problem::detail).toList();
    }
}
