package io.pgvault.monitoring;

import java.util.List;
import java.util.Map;

/** Whether a cluster's data is safe right now: the problems found (none when healthy) and the figures behind them. */
public record ClusterStatus(String cluster, List<String> problems, Map<String, Object> details) {

    public boolean healthy() {
        return problems.isEmpty();
    }
}
