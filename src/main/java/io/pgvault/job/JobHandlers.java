package io.pgvault.job;

import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Finds the handler of a job type and hands it its payload already read (the one place stored payloads are
 * parsed); resolved lazily because handlers may themselves submit jobs.
 */
@Component
class JobHandlers {

    private static final Logger log = LoggerFactory.getLogger(JobHandlers.class);

    private final ObjectProvider<JobHandler<?>> provider;
    private final JsonMapper json;
    private volatile Map<JobType, JobHandler<?>> byType;

    JobHandlers(ObjectProvider<JobHandler<?>> provider, JsonMapper json) {
        this.provider = provider;
        this.json = json;
    }

    JobHandler<?> get(JobType type) {
        if (byType == null) {
            Map<JobType, JobHandler<?>> map = new EnumMap<>(JobType.class);
            provider.orderedStream().forEach(h -> map.put(h.type(), h));
            byType = map;
        }
        JobHandler<?> handler = byType.get(type);
        if (handler == null) {
            throw new IllegalStateException("no handler for " + type + " jobs");
        }
        return handler;
    }

    /** Runs the job with its payload read; a payload that cannot be read fails the job like any other error. */
    void run(JobHandler<?> handler, JobContext context) throws Exception {
        runTyped(handler, context);
    }

    /** Lets the job's handler clean up; a payload that cannot be read is passed as null rather than stopping it. */
    void abandon(Job job, String reason) {
        abandonTyped(get(job.getType()), job, reason);
    }

    private <P> void runTyped(JobHandler<P> handler, JobContext context) throws Exception {
        handler.run(context, read(handler, context.payload()));
    }

    private <P> void abandonTyped(JobHandler<P> handler, Job job, String reason) {
        P payload;
        try {
            payload = read(handler, job.getPayload());
        } catch (RuntimeException e) {
            log.warn("Job {} ({}) has a payload that cannot be read: {}", job.getId(), job.getType(), e.toString());
            payload = null;
        }
        handler.abandon(job, payload, reason);
    }

    private <P> P read(JobHandler<P> handler, String payload) {
        Class<P> type = handler.payloadType();
        if (type == NoPayload.class) {
            return type.cast(NoPayload.INSTANCE);
        }
        if (payload == null) {
            throw new IllegalStateException("a " + handler.type() + " job needs a payload and has none");
        }
        return json.readValue(payload, type);
    }
}
