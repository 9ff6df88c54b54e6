package io.pgvault.proof;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;

/** A cluster's proof by replay: its mode and what the last run proved. */
@Schema(name = "Proof", description = "The WAL archive proven by replay: a scratch server restored from a BASE backup "
        + "replays every archived segment (restore_command fetching from pgvault); the proven point is what "
        + "PostgreSQL itself replayed")
public record ProofView(
        String cluster,
        ProofMode mode,
        @Schema(description = "what the cluster's RPO is measured against: BACKUP (the newest successful backup) or "
                + "PROVEN (the newest point proven by replay)")
        RpoBasis rpoBasis,
        ProofState state,
        @Schema(description = "the BASE backup the last proof started from")
        UUID backupId,
        @Schema(description = "the newest WAL location PostgreSQL replayed from the archive (pg_last_wal_replay_lsn)")
        String provenLsn,
        @Schema(description = "the newest transaction end PostgreSQL replayed (pg_last_xact_replay_timestamp)")
        Instant provenTime,
        @Schema(description = "the last archived segment the proof had to reach")
        String archiveEnd,
        @Schema(description = "seconds from the proven time to the newest time known in the archive (null: never "
                + "proven)")
        Long lagSeconds,
        @Schema(description = "why the last proof failed: where replay stopped and why")
        String failure,
        @Schema(description = "the segment the failure names, if any")
        String failedSegment,
        @Schema(description = "proofs that failed, in all")
        long failures,
        @Schema(description = "the job of the last proof")
        UUID lastJobId,
        Instant lastRunAt,
        @Schema(description = "mode CONTINUOUS: the standing standby that replays the archive as it grows (null: none "
                + "yet)")
        Standby standby) {

    /** The continuous proof's standing standby: where it runs and what amcheck last said of it. */
    @Schema(name = "ProofStandby", description = "A server in standby mode, restored from the BASE backup, that "
            + "replays each archived segment as it arrives and is never promoted")
    public record Standby(String host, String directory, int port,
            @Schema(description = "the postmaster's process id") Long pid,
            UUID backupId,
            @Schema(description = "the PROOF job that restored it") UUID jobId,
            Instant startedAt,
            @Schema(description = "when amcheck last checked it") Instant checkedAt,
            String integrity) {
    }
}
