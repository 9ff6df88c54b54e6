package io.pgvault.verification;

import io.pgvault.backup.BackupSucceeded;
import io.pgvault.backup.VerificationLevel;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Every successful backup is verified at LIST level (which includes CHECKSUM) right after it finishes. */
@Component
class VerifyAfterBackup {

    private final JobService jobs;

    VerifyAfterBackup(JobService jobs) {
        this.jobs = jobs;
    }

    @EventListener
    void on(BackupSucceeded event) {
        jobs.submit(JobType.VERIFICATION, event.cluster(), event.backupId(), "\"" + VerificationLevel.LIST + "\"");
    }
}
