package io.pgvault.storage;

import io.micrometer.core.instrument.MeterRegistry;
import io.pgvault.PgvaultProperties;
import io.pgvault.job.JobService;
import io.pgvault.job.TimerListener;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Removes, periodically ({@code pgvault.storage.sweep.every}, once across the instances of a catalog), what faults left
 * in the repositories and nothing refers to: incomplete multipart uploads (a CreateMultipartUpload whose answer
 * was lost, an abort that could not reach the bucket), and whatever each {@link RepositorySweep} finds (WAL
 * stored and never recorded, objects of backups the catalog deleted). Only what is older than
 * {@code pgvault.storage.sweep.grace}: work in progress is never a leftover. Each removal is logged and counted in
 * {@code pgvault_sweep_removed_total{sweep, repository}}.
 */
@Component
public class RepositorySweeps implements TimerListener {

    static final String TIMER = "repository-sweep";
    static final String INCOMPLETE = "incomplete-uploads";
    private static final Logger log = LoggerFactory.getLogger(RepositorySweeps.class);

    private final Repositories repositories;
    private final ObjectProvider<RepositorySweep> sweeps;
    private final MeterRegistry meters;
    private final JobService jobs;
    private final Clock clock;
    private final PgvaultProperties.Storage.Sweep settings;

    RepositorySweeps(Repositories repositories, ObjectProvider<RepositorySweep> sweeps, MeterRegistry meters,
            JobService jobs, Clock clock, PgvaultProperties properties) {
        this.repositories = repositories;
        this.sweeps = sweeps;
        this.meters = meters;
        this.jobs = jobs;
        this.clock = clock;
        this.settings = properties.storage().sweep();
    }

    @EventListener(ApplicationReadyEvent.class)
    void schedule() {
        jobs.ensureTimer(TIMER, "all", clock.instant().plus(settings.every()));
    }

    @Override
    public String kind() {
        return TIMER;
    }

    @Override
    public Instant fire(String id, Instant due) {
        sweepAll();
        return clock.instant().plus(settings.every());
    }

    /** Runs every sweep on every repository now; returns how many objects each sweep removed. */
    public Map<String, Integer> sweepAll() {
        Instant before = clock.instant().minus(settings.grace());
        Map<String, Integer> removed = new LinkedHashMap<>();
        for (Repositories.Repository r : swept()) {
            count(removed, INCOMPLETE, r, () -> {
                int aborted = r.store().sweepIncomplete(settings.grace().toSeconds());
                return java.util.Collections.nCopies(aborted, "an incomplete upload");
            });
            for (RepositorySweep sweep : sweeps.orderedStream().toList()) {
                count(removed, sweep.name(), r, () -> sweep.sweep(r, before));
            }
        }
        return removed;
    }

    /** The configured repositories, and the workspace's own (what was stored before repositories existed). */
    private List<Repositories.Repository> swept() {
        List<Repositories.Repository> all = new ArrayList<>(repositories.all());
        if (all.stream().noneMatch(r -> r.name().equals("local"))) {
            all.add(repositories.forReading("local"));
        }
        return all;
    }

    private interface Sweep {
        List<String> run() throws Exception;
    }

    private void count(Map<String, Integer> removed, String name, Repositories.Repository r, Sweep sweep) {
        List<String> keys;
        try {
            keys = sweep.run();
        } catch (Exception e) {
            log.warn("Sweep {} of repository '{}' ({}) failed, tried again in {}: {}", name, r.name(),
                    r.store().describe(), settings.every(), e.toString());
            return;
        }
        removed.merge(name, keys.size(), Integer::sum);
        if (!keys.isEmpty()) {
            meters.counter("pgvault.sweep.removed", "sweep", name, "repository", r.name()).increment(keys.size());
            log.warn("Sweep {} removed {} leftover(s) from repository '{}' older than {}: {}", name, keys.size(),
                    r.name(), settings.grace(), keys.size() > 10 ? keys.subList(0, 10) + " ..." : keys);
        }
    }
}
