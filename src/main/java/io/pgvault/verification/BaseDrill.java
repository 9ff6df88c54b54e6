package io.pgvault.verification;

import io.pgvault.backup.BackupView;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.job.JobCancelledException;
import io.pgvault.job.JobContext;
import io.pgvault.recovery.RecoveredCopies;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * A restore drill of a BASE backup: extract it below pgvault's drill directory, start a throwaway server on a free
 * port (as the PostgreSQL OS user), recover to consistency, run the cluster's sanity queries on it, then stop
 * it and remove the directory. Extraction plus recovery is the measured RTO.
 */
@Component
class BaseDrill {

    private final RecoveredCopies copies;
    private final ClusterAccess clusters;
    private final ClusterService clusterService;

    BaseDrill(RecoveredCopies copies, ClusterAccess clusters, ClusterService clusterService) {
        this.copies = copies;
        this.clusters = clusters;
        this.clusterService = clusterService;
    }

    Double run(BackupView backup, JobContext context, List<String> problems, List<String> findings) {
        long started = System.nanoTime();
        RecoveredCopies.Copy copy;
        try {
            copy = copies.start(backup, context);
        } catch (JobCancelledException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobCancelledException("interrupted");
        } catch (Exception e) {
            context.cancellation().throwIfCancelled();
            problems.add("the throwaway server recovered from this backup did not come up: " + e.getMessage());
            return null;
        }
        int port = copy.port();
        try {
            double seconds = (System.nanoTime() - started) / 1e9;
            ClusterView cluster = clusterService.get(backup.cluster());
            try (Connection c = clusters.connectToLocalCopy(backup.cluster(), port); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("select count(*) from pg_database where datallowconn")) {
                rs.next();
                findings.add(String.format("extracted and recovered to consistency in %.3f s: a throwaway server "
                        + "with %d database(s) accepting connections", seconds, rs.getLong(1)));
            } catch (java.sql.SQLException e) {
                problems.add("the recovered copy does not answer: " + e.getMessage());
                return seconds;
            }
            context.phase("running sanity queries");
            SanityChecks.run(cluster.sanityQueries(),
                    q -> q.database() != null ? q.database() : cluster.maintenanceDatabase(),
                    db -> clusters.connectToLocalCopy(backup.cluster(), port, db), problems, findings);
            return seconds;
        } finally {
            context.phase("removing the throwaway server");
            copies.stop(copy, context);
            context.log("pgvault: drill: removed the throwaway server's directory " + copy.directory());
        }
    }
}
