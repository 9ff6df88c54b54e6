package io.pgvault.cluster;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/**
 * The WAL pushes this instance refused for a registered cluster because their archive token did not match
 * (401): the server's log says "archive command failed", this says why. Kept in memory, one entry per
 * registered cluster (the count since start-up and the newest), so that it costs nothing per push and
 * nobody can grow it with made-up names; other instances keep their own.
 */
@Component
class RefusedPushes {

    private static final Pattern WAL_NAME = Pattern.compile("[0-9A-F]{8,24}(\\.[0-9A-Za-z.]{1,20})?");

    private final Clock clock;
    private final Map<String, Refused> byCluster = new ConcurrentHashMap<>();

    private record Refused(long count, String file, Instant at) {
    }

    RefusedPushes(Clock clock) {
        this.clock = clock;
    }

    /** {@code cluster} must be registered. */
    void record(String cluster, String file) {
        String shown = file != null && WAL_NAME.matcher(file).matches() ? file : "(not a WAL file name)";
        Instant now = clock.instant();
        byCluster.merge(cluster, new Refused(1, shown, now),
                (old, n) -> new Refused(old.count() + 1, n.file(), n.at()));
    }

    /** What a check says about them, or null when this instance refused none. */
    String describe(String cluster) {
        Refused r = byCluster.get(cluster);
        return r == null ? null : "this pgvault instance refused " + r.count() + " push(es) for cluster '" + cluster
                + "' with a wrong archive token (401) since it started, the last for " + r.file() + " at " + r.at();
    }
}
