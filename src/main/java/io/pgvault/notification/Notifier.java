package io.pgvault.notification;

import io.pgvault.backup.SizeAnomaly;
import io.pgvault.backup.VerificationFailed;
import io.pgvault.job.JobFinished;
import io.pgvault.job.JobService;
import io.pgvault.job.JobStatus;
import io.pgvault.job.JobView;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Turns what happens in pgvault (failed jobs and verifications, size anomalies) into notifications. */
@Component
class Notifier {

    private final WebhookService webhooks;
    private final JobService jobs;

    Notifier(WebhookService webhooks, JobService jobs) {
        this.webhooks = webhooks;
        this.jobs = jobs;
    }

    @EventListener
    void on(JobFinished event) {
        if (event.status() != JobStatus.FAILED) {
            return;
        }
        JobView job = jobs.get(event.jobId());
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("jobId", job.id());
        details.put("type", job.type());
        details.put("backupId", job.backupId());
        details.put("error", job.error());
        webhooks.publish(NotificationEvent.JOB_FAILED, event.cluster(), job.type() + " job " + job.id() + " failed: "
                + job.error(), details);
    }

    @EventListener
    void on(VerificationFailed event) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("backupId", event.backupId());
        details.put("level", event.level());
        details.put("detail", event.detail());
        webhooks.publish(NotificationEvent.VERIFICATION_FAILED, event.cluster(), "backup " + event.backupId()
                + " failed " + event.level() + " verification: " + event.detail(), details);
    }

    @EventListener
    void on(SizeAnomaly event) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("backupId", event.backupId());
        details.put("detail", event.detail());
        webhooks.publish(NotificationEvent.SIZE_ANOMALY, event.cluster(), "backup " + event.backupId()
                + " size anomaly: " + event.detail(), details);
    }
}
