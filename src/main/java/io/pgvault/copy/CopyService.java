package io.pgvault.copy;

import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupCopies;
import io.pgvault.backup.BackupStatus;
import io.pgvault.backup.BackupView;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.storage.Repositories;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/** Starts COPY jobs: a backup, and the WAL its recovery needs, copied to another repository and read back. */
@Service
public class CopyService {

    private final BackupCatalog backups;
    private final BackupCopies copies;
    private final JobService jobs;
    private final Repositories repositories;
    private final JsonMapper json;

    CopyService(BackupCatalog backups, BackupCopies copies, JobService jobs, Repositories repositories,
            JsonMapper json) {
        this.backups = backups;
        this.copies = copies;
        this.jobs = jobs;
        this.repositories = repositories;
        this.json = json;
    }

    /** Checks the request, then queues the job; nothing starts when the answer is an error. */
    @Transactional
    public JobView start(UUID backupId, String repository) {
        if (repository == null || repository.isBlank()) {
            throw new InvalidRequestException("repository", "repository is required: the name of a repository "
                    + "(GET /api/v1/repositories) to copy the backup to");
        }
        BackupView backup = backups.get(backupId);
        repositories.requireConfigured("repository", repository);
        if (backup.status() != BackupStatus.SUCCEEDED) {
            throw new ConflictException("backup " + backupId + " is " + backup.status()
                    + ": only a SUCCEEDED backup can be copied");
        }
        if (repository.equals(backup.repository())) {
            throw new InvalidRequestException("repository", "backup " + backupId + " is stored in repository '"
                    + repository + "' itself: name another one");
        }
        if (jobs.activeBackupIds(backup.cluster(), JobType.COPY).contains(backupId)) {
            throw new ConflictException("backup " + backupId + " is being copied already; wait for that job");
        }
        JobView job = jobs.submit(JobType.COPY, backup.cluster(), backupId, json.writeValueAsString(repository));
        copies.queue(backupId, repository, job.id());
        return job;
    }
}
