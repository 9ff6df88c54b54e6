package io.pgvault.reencryption.web;

import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import io.pgvault.reencryption.ReencryptionService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** Re-encryption of a repository's stored objects under its current key, after a key rotation. */
@Tag(name = "Repositories", description = "Where backups and WAL are kept, and whether each place works")
@RestController
class ReencryptionController {

    private final ReencryptionService reencryptions;

    ReencryptionController(ReencryptionService reencryptions) {
        this.reencryptions = reencryptions;
    }

    @ApiResponse(responseCode = "202", description = "A REENCRYPT job, QUEUED; its cluster field holds the repository")
    @ApiResponse(responseCode = "404", description = "No repository of that name")
    @ApiResponse(responseCode = "409", description = "The repository is not encrypted, refuses to write, or is being "
            + "re-encrypted already")
    @Operation(operationId = "reencryptRepository", summary = "Re-encrypt a repository under its current key (ADMIN)",
            description = "A REENCRYPT job: every object the catalog does not record under the repository's current "
                    + "key (the files of backups stored there, copies there, WAL files and WAL copies there) is written "
                    + "again beside the old one under the current key, read back and compared with the catalog's "
                    + "SHA-256, the catalog switched to it in one transaction, and only then the old object deleted. "
                    + "A run that fails leaves every object readable (old or new) and says where it stopped; running it "
                    + "again continues. GET /api/v1/repositories/{name}/keys shows how many objects each key still "
                    + "encrypts: once an old key encrypts none, its key file may go.")
    @PostMapping("/api/v1/repositories/{name}/reencryptions")
    @PreAuthorize("hasRole('ADMIN')")
    ResponseEntity<JobResponse> reencrypt(@PathVariable String name) {
        return Accepted.job(reencryptions.start(name));
    }
}
