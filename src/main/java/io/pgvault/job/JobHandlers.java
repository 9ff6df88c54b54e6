package io.pgvault.job;

import java.util.EnumMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/** Finds the handler of a job type; resolved lazily because handlers may themselves submit jobs. */
@Component
class JobHandlers {

    private final ObjectProvider<JobHandler> provider;
    private volatile Map<JobType, JobHandler> byType;

    JobHandlers(ObjectProvider<JobHandler> provider) {
        this.provider = provider;
    }

    JobHandler get(JobType type) {
        if (byType == null) {
            Map<JobType, JobHandler> map = new EnumMap<>(JobType.class);
            provider.orderedStream().forEach(h -> map.put(h.type(), h));
            byType = map;
        }
        JobHandler handler = byType.get(type);
        if (handler == null) {
            throw new IllegalStateException("no handler for " + type + " jobs");
        }
        return handler;
    }
}
