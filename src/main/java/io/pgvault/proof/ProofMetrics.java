package io.pgvault.proof;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * {@code pgvault_proof_failures_total{cluster}}, at 0 from start-up for every cluster with a proof record. The
 * lag ({@code pgvault_proof_lag_seconds}) is refreshed with the other per-cluster figures in
 * {@code monitoring/PgvaultMetrics}, from the archive summary it reads anyway.
 */
@Component
class ProofMetrics {

    private final MeterRegistry registry;
    private final ProofRecords records;

    ProofMetrics(MeterRegistry registry, ProofRecords records) {
        this.registry = registry;
        this.records = records;
    }

    @EventListener(ApplicationReadyEvent.class)
    void watchAll() {
        records.all().forEach(row -> watch(row.cluster()));
    }

    void watch(String cluster) {
        failures(cluster);
    }

    void failed(String cluster) {
        failures(cluster).increment();
    }

    private Counter failures(String cluster) {
        return Counter.builder("pgvault.proof.failures").description("proofs of the WAL archive by replay that failed")
                .tag("cluster", cluster).register(registry);
    }
}
