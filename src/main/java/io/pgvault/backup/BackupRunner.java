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
     * What a backup learned while it ran: a physical one its WAL range and timeline (null for logical ones),
     * a logical one the row count of each table in its snapshot (empty when not counted).
     */
    record Result(String startLsn, String stopLsn, Integer timeline, String firstWal, String lastWal,
            java.util.List<TableRows> tableRows, ServerConfig serverConfig, java.util.List<String> warnings,
            Blocks blocks) {

        public Result(String startLsn, String stopLsn, Integer timeline, String firstWal, String lastWal,
                java.util.List<TableRows> tableRows, ServerConfig serverConfig, java.util.List<String> warnings) {
            this(startLsn, stopLsn, timeline, firstWal, lastWal, tableRows, serverConfig, warnings, null);
        }

        /** The same result, for a backup in the block store. */
        public Result with(Blocks taken) {
            return new Result(startLsn, stopLsn, timeline, firstWal, lastWal, tableRows, serverConfig, warnings, taken);
        }

        /** The same result with other row counts. */
        public Result withTableRows(java.util.List<TableRows> rows) {
            return new Result(startLsn, stopLsn, timeline, firstWal, lastWal, rows, serverConfig, warnings, blocks);
        }

        public static final Result NONE = new Result(null, null, null, null, null, java.util.List.of(), null,
                java.util.List.of());

        public Result(String startLsn, String stopLsn, Integer timeline, String firstWal, String lastWal,
                ServerConfig serverConfig, java.util.List<String> warnings) {
            this(startLsn, stopLsn, timeline, firstWal, lastWal, java.util.List.of(), serverConfig, warnings);
        }

        public static Result counted(java.util.List<TableRows> rows) {
            return new Result(null, null, null, null, null, rows, null, java.util.List.of());
        }
    }
}
