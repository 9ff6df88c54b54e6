package io.pgvault.job;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalEventListener;

/** Wakes requests that wait for a job to end, as soon as its end is committed on this instance. */
@Component
class JobWaiters {

    private final Map<UUID, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();

    /** Waits up to {@code millis} for a local end of the job; returns early on it, or at the deadline. */
    void await(UUID jobId, long millis) throws InterruptedException {
        CompletableFuture<Void> future = waiting.computeIfAbsent(jobId, id -> new CompletableFuture<>());
        try {
            future.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // the caller re-reads the catalog either way
        }
    }

    @TransactionalEventListener(phase = TransactionPhase.AFTER_COMMIT, fallbackExecution = true)
    void on(JobFinished event) {
        CompletableFuture<Void> future = waiting.remove(event.jobId());
        if (future != null) {
            future.complete(null);
        }
    }
}
