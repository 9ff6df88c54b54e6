package io.pgvault.verification;

import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupVerifications;
import io.pgvault.backup.BackupSucceeded;
import io.pgvault.backup.VerificationLevel;
import io.pgvault.backup.VerificationOrder;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every successful backup is verified right after it finishes: at LIST level (which includes CHECKSUM), or
 * at the level its schedule asks for.
 */
@Component
class VerifyAfterBackup {

    private final JobService jobs;
    private final BackupCatalog backups;
    private final JsonMapper json;
    private final ObjectProvider<VerificationAfterBackup> policies;

    VerifyAfterBackup(JobService jobs, BackupCatalog backups, JsonMapper json,
            ObjectProvider<VerificationAfterBackup> policies) {
        this.jobs = jobs;
        this.backups = backups;
        this.json = json;
        this.policies = policies;
    }

    @EventListener
    void on(BackupSucceeded event) {
        VerificationLevel level = VerificationLevel.LIST;
        VerificationAfterBackup policy = policies.getIfAvailable();
        if (event.scheduleId() != null && policy != null) {
            level = policy.levelAfter(event.scheduleId()).orElse(VerificationLevel.LIST);
        }
        if (level == VerificationLevel.RESTORE) {
            try {
                BackupVerifications.checkDrillable(backups.get(event.backupId()));
            } catch (InvalidRequestException e) {
                level = VerificationLevel.LIST;
            }
        }
        jobs.submit(JobType.VERIFICATION, event.cluster(), event.backupId(),
                json.writeValueAsString(new VerificationOrder(level, null)));
    }
}
