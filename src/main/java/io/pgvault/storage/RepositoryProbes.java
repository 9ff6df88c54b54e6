package io.pgvault.storage;

import io.pgvault.job.DaemonThreads;
import io.pgvault.storage.Repositories.Health;
import io.pgvault.storage.Repositories.Repository;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repository health without waiting on the network. A caller gets the last probe's answer at once; when that
 * answer is older than {@code pgvault.storage.probe.interval} a new probe starts in the background. A probe
 * that has not answered within {@code pgvault.storage.probe.timeout} makes its repository DOWN ("no answer
 * within ...") while it goes on: an S3 client that retries a hung bucket holds its thread for minutes, and
 * health must not, so callers never wait for it and never start a second probe of the same repository (at
 * most one probe thread per repository, however many health requests arrive).
 *
 * <p>Only the very first question about a repository waits, briefly, for the first probe, so that a healthy
 * repository is not reported UNKNOWN right after start-up; a probe that takes longer leaves it UNKNOWN.
 */
final class RepositoryProbes implements AutoCloseable {

    /** How long the first question waits for the first probe: well inside a load balancer's 1 s budget. */
    private static final Duration FIRST_WAIT = Duration.ofMillis(500);
    private static final Logger log = LoggerFactory.getLogger(RepositoryProbes.class);

    private final Clock clock;
    private final Duration timeout;
    private final Duration interval;
    private final long minFreeBytes;
    private final Map<String, Health> last = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Health>> running = new ConcurrentHashMap<>();
    private final Map<String, String> refusals = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newCachedThreadPool(DaemonThreads.named("repository-probe"));
    private final ScheduledExecutorService watchdog =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("repository-probe-timeout"));

    RepositoryProbes(Clock clock, Duration timeout, Duration interval, long minFreeBytes) {
        this.clock = clock;
        this.timeout = timeout;
        this.interval = interval;
        this.minFreeBytes = minFreeBytes;
    }

    /**
     * Marks a repository DOWN for good with {@code reason}, whatever its probes say: it must not be written to
     * (its key material lacks keys its files were encrypted with).
     */
    void refuse(String repository, String reason) {
        refusals.put(repository, reason);
    }

    /** The last known health of {@code repository}; never waits longer than {@link #FIRST_WAIT}. */
    Health health(Repository repository) {
        String refusal = refusals.get(repository.name());
        if (refusal != null) {
            return new Health(true, false, null, refusal, clock.instant());
        }
        Health known = last.get(repository.name());
        if (known != null && !known.checkedAt().isBefore(clock.instant().minus(interval))) {
            return known;
        }
        CompletableFuture<Health> probe = start(repository);
        if (known != null) {
            return known;
        }
        try {
            return probe.get(Math.min(FIRST_WAIT.toMillis(), timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return Health.unknown("the first probe has not answered yet (it may take up to "
                    + timeout.toMillis() + " ms, pgvault.storage.probe.timeout)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.unknown("interrupted while waiting for the first probe");
        } catch (ExecutionException e) {
            return new Health(false, false, null, String.valueOf(e.getCause()), clock.instant());
        }
    }

    /** Starts a probe of {@code repository} unless one is running; does not wait for it. */
    void refresh(Repository repository) {
        start(repository);
    }

    /** Starts a probe of {@code repository} when its last answer is older than the interval (or missing). */
    void refreshIfDue(Repository repository) {
        Health known = last.get(repository.name());
        if (!refusals.containsKey(repository.name())
                && (known == null || known.checkedAt().isBefore(clock.instant().minus(interval)))) {
            start(repository);
        }
    }

    /** The probe of {@code repository} that is running, or a new one. */
    private CompletableFuture<Health> start(Repository repository) {
        CompletableFuture<Health> fresh = new CompletableFuture<>();
        CompletableFuture<Health> existing = running.putIfAbsent(repository.name(), fresh);
        if (existing != null) {
            return existing;
        }
        watchdog.schedule(() -> {
            Health late = new Health(false, false, null, "no answer within " + timeout.toMillis()
                    + " ms (pgvault.storage.probe.timeout): " + repository.store().describe() + " does not respond",
                    clock.instant());
            if (fresh.complete(late)) {
                record(repository, late);
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            workers.execute(() -> {
                Health answer;
                try {
                    answer = probe(repository);
                } catch (RuntimeException e) {
                    answer = new Health(false, false, null, ProbeFailures.explain(repository, e), clock.instant());
                }
                fresh.complete(answer);
                // even after the timeout: a late answer is newer than "no answer"
                record(repository, answer);
                running.remove(repository.name(), fresh);
            });
        } catch (RuntimeException rejected) {
            running.remove(repository.name(), fresh);
            fresh.complete(Health.unknown("probes have stopped: pgvault is shutting down"));
        }
        return fresh;
    }

    private void record(Repository repository, Health now) {
        Health before = last.put(repository.name(), now);
        if (!now.up() && (before == null || before.up())) {
            log.warn("Repository '{}' ({}) is not usable: {}", repository.name(), repository.store().describe(),
                    now.detail());
        } else if (now.up() && before != null && !before.up()) {
            log.info("Repository '{}' is usable again", repository.name());
        }
    }

    private Health probe(Repository repository) {
        return repository.type().equals("local") ? probeLocal(repository.path()) : probeStore(repository);
    }

    private Health probeLocal(Path path) {
        Instant at = clock.instant();
        try {
            Path existing = path;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null) {
                return new Health(false, false, null, path + " has no existing parent", at);
            }
            long free = Files.getFileStore(existing).getUsableSpace();
            boolean writable = Files.isWritable(existing);
            String detail = !writable ? existing + " is not writable"
                    : free < minFreeBytes
                    ? "free space " + free + " bytes is below pgvault.storage.local.min-free-bytes"
                    : "writable, " + free + " bytes free";
            return new Health(true, writable && free >= minFreeBytes, free, detail, at);
        } catch (IOException e) {
            return new Health(false, false, null, e.getMessage(), at);
        }
    }

    private Health probeStore(Repository repository) {
        Instant at = clock.instant();
        String key = ".pgvault/probe-" + UUID.randomUUID();
        try {
            repository.store().list(".pgvault/");
        } catch (IOException | RuntimeException e) {
            return new Health(false, false, null, ProbeFailures.explain(repository, e), at);
        }
        try {
            repository.store().put(key, new ByteArrayInputStream(new byte[] {1}));
            repository.store().delete(key);
            return new Health(true, true, null, "reachable and writable", at);
        } catch (IOException | RuntimeException e) {
            return new Health(true, false, null, ProbeFailures.explain(repository, e), at);
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        workers.shutdownNow();
    }
}
