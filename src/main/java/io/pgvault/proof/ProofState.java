package io.pgvault.proof;

/** What the last proof found: NEVER run, PROVEN (replay reached the archive's end) or FAILED (it stopped early). */
public enum ProofState {
    NEVER, PROVEN, FAILED
}
