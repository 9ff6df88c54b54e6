package io.pgvault.verification;

import io.pgvault.backup.BackupSucceeded;
import io.pgvault.backup.VerificationLevel;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Every successful backup is verified right after it finishes: at LIST level (which includes CHECKSUM), or
 * at the level its schedule asks for.
 */
@Component
class VerifyAfterBackup {

    private final JobService jobs;
    private final ObjectProvider<VerificationAfterBackup> policies;

    VerifyAfterBackup(JobService jobs, ObjectProvider<VerificationAfterBackup> policies) {
        this.jobs = jobs;
        this.policies = policies;
    }

    @EventListener
    void on(BackupSucceeded event) {
        VerificationLevel level = VerificationLevel.LIST;
        VerificationAfterBackup policy = policies.getIfAvailable();
        if (event.scheduleId() != null && policy != null) {
            level = policy.levelAfter(event.scheduleId()).orElse(VerificationLevel.LIST);
        }
        jobs.submit(JobType.VERIFICATION, event.cluster(), event.backupId(), "\"" + level + "\"");
    }
}
