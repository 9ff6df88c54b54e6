package io.pgvault.retention;

import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.NoPayload;
import io.pgvault.job.JobType;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** A retention run: the plan made again now (the catalog may have moved since it was asked for), then carried out. */
@Component
class RetentionHandler implements JobHandler<NoPayload> {

    private final RetentionService retention;
    private final JsonMapper json;

    private final CopyRetention copyRetention;

    RetentionHandler(RetentionService retention, JsonMapper json, CopyRetention copyRetention) {
        this.copyRetention = copyRetention;
        this.retention = retention;
        this.json = json;
    }

    @Override
    public JobType type() {
        return JobType.RETENTION;
    }

    @Override
    public Class<NoPayload> payloadType() {
        return NoPayload.class;
    }

    /** One retention run per cluster at a time (pgvault.jobs.max-backups-per-cluster). */
    @Override
    public boolean limitedPerCluster() {
        return true;
    }

    @Override
    public void run(JobContext context, NoPayload payload) throws Exception {
        context.phase("planning");
        context.cancellation().throwIfCancelled();
        RetentionPlan plan = retention.plan(context.cluster());
        context.log("pgvault: retention of cluster '" + context.cluster() + "': keeps " + plan.keep() + ", expires "
                + plan.expire() + (plan.wal() == null ? "; no BASE backup retained, so no WAL is removed"
                        : "; WAL before " + plan.wal().firstKept() + " goes (" + plan.wal().files() + " file(s))"));
        context.phase("expiring");
        retention.apply(plan, context::log, context.cancellation());
        context.phase("thinning out copies");
        int copiesRemoved = copyRetention.apply(context.cluster(), context::log);
        context.result(json.writeValueAsString(new Summary(plan.keep(), plan.expire(),
                plan.wal() == null ? 0 : plan.wal().files(), copiesRemoved)));
    }

    private record Summary(int kept, int expired, long walFilesRemoved, int copiesRemoved) {
    }
}
