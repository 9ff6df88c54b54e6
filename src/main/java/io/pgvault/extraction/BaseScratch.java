package io.pgvault.extraction;

import io.pgvault.backup.BackupView;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import io.pgvault.recovery.RecoveredCopies;
import io.pgvault.recovery.RecoveryService;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * The scratch copy of a BASE extraction: a server recovered from the backup and WAL to the target, below the
 * drill directory, as the PostgreSQL OS user, on a free port ({@link RecoveredCopies}). It holds every table's
 * rows as of the target; the selection's are the ones dumped.
 */
@Component
class BaseScratch {

    static final String COPY_PREFIX = "extract-";

    private final RecoveredCopies copies;
    private final ClusterAccess access;

    BaseScratch(RecoveredCopies copies, ClusterAccess access) {
        this.copies = copies;
        this.access = access;
    }

    /** Recovers the copy; {@code result} gets the point it reached. */
    Scratch open(ExtractionPlan plan, BackupView backup, JobContext context, Map<String, Object> result)
            throws Exception {
        RecoveryService.PointPlan point = new RecoveryService.PointPlan(backup, plan.target(), plan.inclusive(),
                plan.timeline(), plan.walFrom(), plan.walTo(), plan.promised());
        RecoveredCopies.Copy copy = copies.start(point, COPY_PREFIX, context);
        Map<String, Object> reached = new LinkedHashMap<>();
        copies.reached(copy, backup.cluster(), reached);
        result.put("recoveredLsn", reached.get("reachedLsn"));
        result.put("recoveredTime", reached.get("reachedTime"));
        context.log("pgvault: the scratch server on port " + copy.port() + " recovered to " + reached.get("reachedLsn")
                + " (last transaction " + reached.get("reachedTime") + ")");
        ToolSession session;
        try {
            session = access.toolSession(backup.cluster());
        } catch (IOException | RuntimeException e) {
            copies.stop(copy, context);
            throw e;
        }
        Map<String, String> env = new LinkedHashMap<>(session.environment(plan.database()));
        env.put("PGHOST", "127.0.0.1");
        env.put("PGPORT", Integer.toString(copy.port()));
        env.put("PGSSLMODE", "prefer");
        return new Scratch() {
            @Override
            public Connection connect() throws SQLException {
                try {
                    return access.connectToLocalCopy(backup.cluster(), copy.port(), plan.database());
                } catch (SQLException e) {
                    if ("3D000".equals(e.getSQLState())) {
                        throw new IllegalStateException("database '" + plan.database() + "' does not exist at the "
                                + "recovered point (" + result.get("recoveredLsn") + ")", e);
                    }
                    throw e;
                }
            }

            @Override
            public ToolSession tools() {
                return session;
            }

            @Override
            public Map<String, String> environment() {
                return env;
            }

            @Override
            public boolean holdsAllRows() {
                return true;
            }

            @Override
            public void remove(JobContext context) {
                context.phase("removing the scratch server");
                session.close();
                copies.stop(copy, context);
                context.log("pgvault: removed the scratch server and its directory " + copy.directory());
            }
        };
    }
}
