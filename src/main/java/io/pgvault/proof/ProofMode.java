package io.pgvault.proof;

/**
 * How often a cluster's WAL archive is proven by replay. DAILY: once a day. CONTINUOUS: again whenever the
 * previous proof has ended and {@code pgvault.proof.continuous-interval} has passed (a fresh restore each time,
 * not a standing standby: see docs/operations.md). OFF: only when asked ({@code POST .../proof/runs}).
 */
public enum ProofMode {
    OFF, DAILY, CONTINUOUS
}
