package io.pgvault.extraction;

import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

/**
 * Where an extraction's selection is read from: a server recovered from a BASE backup and WAL
 * ({@link BaseScratch}), or a scratch database that a DUMP's definitions and the selection's rows are restored
 * into ({@link DumpScratch}). It goes whatever happens.
 */
interface Scratch {

    /** A connection to the database to extract from, in the scratch copy. */
    Connection connect() throws SQLException;

    /** The tools (and their versions) that read it. */
    ToolSession tools();

    /** The environment for pg_dump to connect to it. */
    Map<String, String> environment();

    /** Whether every table holds its rows (a recovered server), not only the selection's (a scratch database). */
    boolean holdsAllRows();

    /** Stops or drops it; never throws. */
    void remove(JobContext context);
}
