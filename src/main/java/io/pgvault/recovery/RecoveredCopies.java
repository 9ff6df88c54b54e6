package io.pgvault.recovery;

import io.pgvault.backup.BackupView;
import io.pgvault.job.JobContext;
import java.nio.file.Path;
import org.springframework.stereotype.Component;

/** Throwaway servers recovered from a BASE backup to consistency, for restore drills. */
@Component
public class RecoveredCopies {

    private final RecoveryHandler recoveries;

    RecoveredCopies(RecoveryHandler recoveries) {
        this.recoveries = recoveries;
    }

    /** Extracts, configures and starts the copy in {@code directory}; returns its port once it is promoted. */
    public int start(BackupView backup, Path directory, JobContext context) throws Exception {
        return recoveries.startCopy(backup, directory, context);
    }

    /** Stops the copy's server (immediately), if it runs. */
    public void stop(Path directory) {
        recoveries.stopCopy(directory);
    }
}
