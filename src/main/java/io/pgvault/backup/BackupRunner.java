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

    /** Versions recorded with a backup. */
    record Versions(String server, String tool) {
    }

    /** What a physical backup learned while it ran: its WAL range and timeline (all null for logical ones). */
    record Result(String startLsn, String stopLsn, Integer timeline, String firstWal, String lastWal) {

        public static final Result NONE = new Result(null, null, null, null, null);
    }
}
