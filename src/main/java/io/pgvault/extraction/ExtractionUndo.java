package io.pgvault.extraction;

import io.pgvault.cluster.ClusterAccess;
import io.pgvault.job.JobContext;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.springframework.stereotype.Component;

/**
 * What an extraction makes on a cluster and takes back: scratch databases, and a destination database or schema
 * it created, which goes again when the extraction fails (unless the request keeps it), so nothing half-made
 * stays behind.
 */
@Component
class ExtractionUndo {

    private final ClusterAccess access;

    ExtractionUndo(ClusterAccess access) {
        this.access = access;
    }

    /** Runs one statement in the database (null: the cluster's maintenance database). */
    void execute(String cluster, String database, String sql) throws SQLException {
        String db = database != null ? database : access.target(cluster).maintenanceDatabase();
        try (Connection c = access.connect(cluster, db); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** Drops a database, ending its sessions (PostgreSQL 13 on). */
    void dropDatabase(String cluster, String name) throws SQLException {
        String maintenance = access.target(cluster).maintenanceDatabase();
        try (Connection c = access.connect(cluster, maintenance); Statement st = c.createStatement()) {
            boolean force = c.getMetaData().getDatabaseMajorVersion() >= 13;
            st.execute("DROP DATABASE IF EXISTS " + Names.quote(name) + (force ? " WITH (FORCE)" : ""));
        }
    }

    /** Removes the destination database or schema this extraction created; logs, never throws. */
    void undo(ExtractionPlan plan, boolean createdDatabase, boolean createdSchema, JobContext context) {
        try {
            if (createdDatabase) {
                dropDatabase(plan.intoCluster(), plan.intoDatabase());
                context.log("pgvault: dropped database '" + plan.intoDatabase() + "', which this extraction created");
            } else if (createdSchema) {
                execute(plan.intoCluster(), plan.intoDatabase(), "DROP SCHEMA IF EXISTS "
                        + Names.quote(plan.intoSchema()) + " CASCADE");
                context.log("pgvault: dropped schema " + plan.intoSchema() + ", which this extraction created");
            }
        } catch (SQLException | RuntimeException e) {
            context.log("pgvault: could not remove what this extraction created: " + e.getMessage());
        }
    }
}
