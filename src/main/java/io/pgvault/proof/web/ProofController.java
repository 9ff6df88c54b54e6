package io.pgvault.proof.web;

import io.pgvault.proof.ProofMode;
import io.pgvault.proof.ProofService;
import io.pgvault.proof.ProofView;
import io.pgvault.proof.RpoBasis;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** A cluster's proof of its WAL archive by replay: read it, set its mode, run one now. */
@Tag(name = "Proofs")
@RestController
@RequestMapping("/api/v1/clusters/{name}/proof")
class ProofController {

    private final ProofService proofs;

    ProofController(ProofService proofs) {
        this.proofs = proofs;
    }

    /** How often the archive is proven by replay. */
    @Schema(name = "ProofSettings", description = "How often the cluster's WAL archive is proven by replay: DAILY, "
            + "CONTINUOUS (a standing standby that replays each archived segment as it arrives, followed every few "
            + "seconds) or OFF (only on demand)",
            example = "{\"mode\": \"DAILY\", \"rpoBasis\": \"PROVEN\"}")
    record ProofSettings(@NotNull ProofMode mode, @Schema(description = "what the cluster's RPO is measured "
            + "against: BACKUP (default: the newest successful backup) or PROVEN (the newest point proven by replay)")
            RpoBasis rpoBasis) {
    }

    @ApiResponse(responseCode = "200", description = "The cluster's proof (mode OFF, state NEVER when none ran)")
    @Operation(operationId = "getProof", summary = "The cluster's proof by replay: mode, proven point, lag, last "
            + "failure")
    @GetMapping
    @PreAuthorize("hasRole('VIEWER')")
    ProofView get(@PathVariable String name) {
        return proofs.get(name);
    }

    @ApiResponse(responseCode = "200", description = "The cluster's proof with its new mode")
    @ApiResponse(responseCode = "409", description = "The cluster keeps no WAL archive in pgvault (walArchive NONE)")
    @Operation(operationId = "setProof", summary = "Set how often the cluster's WAL archive is proven by replay "
            + "(a first run follows at once unless OFF)")
    @PutMapping
    @PreAuthorize("hasRole('ADMIN')")
    ProofView set(@PathVariable String name, @io.swagger.v3.oas.annotations.parameters.RequestBody(
            description = "How often to prove the archive: DAILY, CONTINUOUS or OFF") @Valid @RequestBody
            ProofSettings settings) {
        return proofs.setMode(name, settings.mode(), settings.rpoBasis());
    }

    @ApiResponse(responseCode = "202", description = "A PROOF job, QUEUED")
    @ApiResponse(responseCode = "409", description = "The cluster keeps no WAL archive in pgvault, has no BASE backup "
            + "to replay from, or a proof is queued or running already")
    @Operation(operationId = "runProof", summary = "Prove the WAL archive by replay now: a job that restores the "
            + "newest verified BASE backup to a scratch server and replays every archived segment")
    @PostMapping("/runs")
    @PreAuthorize("hasRole('OPERATOR')")
    ResponseEntity<JobResponse> run(@PathVariable String name) {
        return Accepted.job(proofs.run(name));
    }
}
