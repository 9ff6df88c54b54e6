package io.pgvault.reencryption;

import io.pgvault.api.ConflictException;
import io.pgvault.api.NotFoundException;
import io.pgvault.job.JobService;
import io.pgvault.job.JobStatus;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.storage.ObjectRewrite;
import io.pgvault.storage.Repositories;
import java.util.List;
import java.util.Optional;
import org.springframework.data.domain.PageRequest;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * Starts the re-encryption of a repository ({@link ReencryptionHandler}): only of an encrypted one that writes,
 * and one at a time per repository, since two would write the same next generation of a backup. A job concerns a
 * repository, not a cluster: its {@code cluster} field holds the repository's name.
 */
@Service
public class ReencryptionService {

    private final Repositories repositories;
    private final ObjectRewrite objects;
    private final JobService jobs;
    private final JsonMapper json;

    ReencryptionService(Repositories repositories, ObjectRewrite objects, JobService jobs, JsonMapper json) {
        this.repositories = repositories;
        this.objects = objects;
        this.jobs = jobs;
        this.json = json;
    }

    /** Queues a REENCRYPT job for the repository {@code name}. */
    public synchronized JobView start(String name) {
        Repositories.Repository r = repositories.configured(name)
                .orElseThrow(() -> new NotFoundException("no repository is named '" + name + "'"));
        if (!objects.encrypted(name)) {
            throw new ConflictException("repository '" + name + "' is not encrypted (encryption: " + r.encryption()
                    + "): there is nothing to re-encrypt");
        }
        if (objects.currentKeyId(name) == null) {
            throw new ConflictException("repository '" + name + "' refuses to write (its keys lack a key its files "
                    + "need): nothing can be re-encrypted until that is fixed");
        }
        Optional<JobView> active = active(name, null, List.of(JobStatus.RUNNING, JobStatus.QUEUED));
        if (active.isPresent()) {
            throw new ConflictException("a re-encryption of repository '" + name + "' is " + active.get().status()
                    + " already (job " + active.get().id() + "): wait for it");
        }
        return jobs.submit(JobType.REENCRYPT, name, null, json.writeValueAsString(new ReencryptionOrder(name)));
    }

    /** A re-encryption of the repository in one of {@code statuses}, other than {@code except}. */
    Optional<JobView> active(String repository, java.util.UUID except, List<JobStatus> statuses) {
        for (JobStatus status : statuses) {
            Optional<JobView> other = jobs.list(repository, JobType.REENCRYPT, status, PageRequest.of(0, 5)).stream()
                    .filter(j -> !j.id().equals(except)).findFirst();
            if (other.isPresent()) {
                return other;
            }
        }
        return Optional.empty();
    }
}
