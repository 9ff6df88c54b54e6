package io.pgvault.proof;

import io.pgvault.notification.NotificationEvent;
import io.pgvault.notification.WebhookService;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * A proof's finding, one path for the job and for the standing standby: the proof's state FAILED with the
 * segment and why, {@code pgvault_proof_failures_total} counted, the webhook event {@code proof.failed}; the
 * backups' health reads the state and turns DOWN.
 */
@Component
class ProofFailures {

    private final ProofRecords records;
    private final ProofMetrics metrics;
    private final WebhookService webhooks;

    ProofFailures(ProofRecords records, ProofMetrics metrics, WebhookService webhooks) {
        this.records = records;
        this.metrics = metrics;
        this.webhooks = webhooks;
    }

    /** Records the finding and tells; the exception to throw where a job fails with it. */
    IllegalStateException fail(String cluster, UUID backupId, String lsn, Instant time, String archiveEnd, String why,
            String segment) {
        records.failed(cluster, backupId, lsn, time, archiveEnd, why, segment);
        metrics.failed(cluster);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("backupId", backupId);
        details.put("segment", segment);
        details.put("provenLsn", lsn);
        webhooks.publish(NotificationEvent.PROOF_FAILED, cluster, "the WAL archive's proof by replay failed: " + why,
                details);
        return new IllegalStateException(why);
    }
}
