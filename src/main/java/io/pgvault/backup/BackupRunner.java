package io.pgvault.backup;

import io.pgvault.job.JobContext;
import io.pgvault.storage.StagingArea;
import java.util.Set;

/** Takes one kind of backup into a staging area: logical (pg_dump, pg_dumpall) or physical (pg_basebackup). */
public interface BackupRunner {

    Set<BackupKind> kinds();

    /** The server and tool versions, for the catalog; called before {@link #run}. */
    Versions versions(BackupView backup);

    /** Writes the backup's files into {@code area}; throws on any failure. */
    Result run(BackupView backup, StagingArea area, JobContext context) throws Exception;

    /** What a block-store backup was: its type as taken, its reference, bytes it restores and bytes it added. */
    record Blocks(BackupType type, java.util.UUID reference, long dataSizeBytes, long addedBytes) {
    }

    /** Versions recorded with a backup. */
    record Versions(String server, String tool) {
    }

    /**
     * The row counts a DUMP takes in its own snapshot once its tool has ended, so that they do not take CPU from
     * the tool nor time from the backup: the backup job stores the dump and records it SUCCEEDED first, then
     * counts. It owns the snapshot's session (and with it the snapshot) until closed, which it must be on every
     * path.
     */
    interface LaterRows extends AutoCloseable {
        /** Every table's rows in the snapshot; a table that cannot be counted exactly is left out and logged. */
        java.util.List<TableRows> count(io.pgvault.job.Cancellation cancellation,
                java.util.function.Consumer<String> log);

        /** Ends the snapshot's transaction and session. */
        @Override
        void close();
    }

    /**
     * What a backup learned while it ran: a physical one its WAL range and timeline (null for logical ones); a
     * DUMP the means to count its tables' rows in its snapshot once it is stored ({@code laterRows}, null when it
     * counts nothing).
     */
    record Result(String startLsn, String stopLsn, Integer timeline, String firstWal, String lastWal,
            ServerConfig serverConfig, java.util.List<String> warnings, Blocks blocks, LaterRows laterRows) {

        public Result(String startLsn, String stopLsn, Integer timeline, String firstWal, String lastWal,
                ServerConfig serverConfig, java.util.List<String> warnings) {
            this(startLsn, stopLsn, timeline, firstWal, lastWal, serverConfig, warnings, null, null);
        }

        /** The same result, for a backup in the block store. */
        public Result with(Blocks taken) {
            return new Result(startLsn, stopLsn, timeline, firstWal, lastWal, serverConfig, warnings, taken,
                    laterRows);
        }

        public static final Result NONE = new Result(null, null, null, null, null, null, java.util.List.of());

        /** A DUMP whose rows are counted once it is stored. */
        public static Result countedLater(LaterRows later) {
            return new Result(null, null, null, null, null, null, java.util.List.of(), null, later);
        }
    }
}
