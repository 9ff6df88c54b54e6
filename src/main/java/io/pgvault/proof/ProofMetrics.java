package io.pgvault.proof;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * {@code pgvault_proof_lag_seconds{cluster}} (the archive's newest known time minus the proven time; NaN before a
 * first proof) and {@code pgvault_proof_failures_total{cluster}}, for every cluster with a proof record.
 */
@Component
class ProofMetrics {

    private final MeterRegistry registry;
    private final ObjectProvider<ProofService> proofs;
    private final Set<String> watched = ConcurrentHashMap.newKeySet();

    ProofMetrics(MeterRegistry registry, ObjectProvider<ProofService> proofs) {
        this.registry = registry;
        this.proofs = proofs;
    }

    @EventListener(ApplicationReadyEvent.class)
    void watchAll() {
        proofs.getObject().clusters().forEach(this::watch);
    }

    void watch(String cluster) {
        if (watched.add(cluster)) {
            Gauge.builder("pgvault.proof.lag", () -> lag(cluster)).baseUnit("seconds")
                    .description("the WAL archive's newest known time minus the time its proof by replay reached")
                    .tag("cluster", cluster).register(registry);
            failures(cluster);
        }
    }

    void failed(String cluster) {
        watch(cluster);
        failures(cluster).increment();
    }

    private Counter failures(String cluster) {
        return Counter.builder("pgvault.proof.failures").description("proofs of the WAL archive by replay that failed")
                .tag("cluster", cluster).register(registry);
    }

    private double lag(String cluster) {
        try {
            Long lag = proofs.getObject().get(cluster).lagSeconds();
            return lag == null ? Double.NaN : lag;
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }
}
