package io.pgvault.storage.web;

import io.pgvault.storage.RepositoryKeyRotation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** An encrypted repository's key ids, and a new key for it without a restart; never any key material. */
@Tag(name = "Repositories", description = "Where backups and WAL are kept, and whether each place works")
@RestController
@RequestMapping("/api/v1/repositories/{name}/keys")
class RepositoryKeyController {

    private final RepositoryKeyRotation rotation;

    RepositoryKeyController(RepositoryKeyRotation rotation) {
        this.rotation = rotation;
    }

    @ApiResponse(responseCode = "200", description = "The repository's key ids")
    @ApiResponse(responseCode = "404", description = "No repository of that name")
    @ApiResponse(responseCode = "409", description = "The repository is not encrypted")
    @Operation(operationId = "listRepositoryKeys", summary = "List a repository's key ids",
            description = "The ids of the keys an encrypted repository holds (8 hex digits, Tink's key ids, as "
                    + "recorded with each file as keyId): the current one, which encrypts new files, and the older "
                    + "ones, which still read what they encrypted, and how many stored objects the catalog records under "
                    + "each (objectsByKey). Never key material.")
    @GetMapping
    @PreAuthorize("hasRole('VIEWER')")
    KeysResponse list(@PathVariable String name) {
        return KeysResponse.of(rotation.keys(name));
    }

    @ApiResponse(responseCode = "201", description = "The new key is current; the older ones stay for reading")
    @ApiResponse(responseCode = "404", description = "No repository of that name")
    @ApiResponse(responseCode = "409", description = "The repository is not encrypted, its key comes from an "
            + "environment variable (pgvault cannot change it), or it refuses to write (its keys lack a key its "
            + "files need)")
    @Operation(operationId = "rotateRepositoryKey", summary = "Add a new current key (ADMIN)",
            description = "Generates a new key, adds it to the repository's key file (encryption-key-file) and makes "
                    + "it current, without a restart: every file written from now on is encrypted with it, and every "
                    + "earlier file still decrypts with the key it names, which stays in the file. The file is "
                    + "replaced atomically (owner-only). Back the key file up again afterwards. Files already stored "
                    + "are re-encrypted by POST /api/v1/repositories/{name}/reencryptions. Answers the new key's id, never "
                    + "key material.")
    @PostMapping
    @PreAuthorize("hasRole('ADMIN')")
    @ResponseStatus(HttpStatus.CREATED)
    KeysResponse rotate(@PathVariable String name) {
        return KeysResponse.of(rotation.rotate(name));
    }

    @ApiResponse(responseCode = "200", description = "The key is removed; the answer lists the key ids left")
    @ApiResponse(responseCode = "404", description = "No repository of that name, or it has no key of that id")
    @ApiResponse(responseCode = "409", description = "The repository is not encrypted; the key is the current one, "
            + "or comes from encryption-old-key-files or the environment; or the catalog records stored objects "
            + "under it (or objects without a recorded key), or the block store may hold objects under it "
            + "(blockStoreKeyIds, blockStoreKeysUnknown): re-encrypt first")
    @Operation(operationId = "removeRepositoryKey", summary = "Remove an older key from the key file (ADMIN)",
            description = "Removes a key that is no longer current from the repository's key file (replaced "
                    + "atomically), only while the catalog records no stored object encrypted with it "
                    + "(objectsByKey 0, after a REENCRYPT job) and the block store holds none (not in blockStoreKeyIds, "
                    + "blockStoreKeysUnknown false). Keep a copy of the old key file if backups made "
                    + "elsewhere with it may still need it.")
    @DeleteMapping("/{id}")
    @PreAuthorize("hasRole('ADMIN')")
    KeysResponse remove(@PathVariable String name, @PathVariable String id) {
        return KeysResponse.of(rotation.remove(name, id));
    }

    /** A repository's key ids. */
    @Schema(name = "RepositoryKeys", description = "An encrypted repository's key ids; never key material")
    record KeysResponse(String repository,
            @Schema(description = "the id of the key that encrypts new files (null while writing is refused for "
                    + "want of one)") String currentKeyId,
            @Schema(description = "every key id the repository can read with, the current one first")
            List<String> keyIds,
            @Schema(description = "why the repository refuses to write (a key its files need is missing); null "
                    + "when it writes") String refusal,
            @Schema(description = "how many stored objects (backup files, copies' files, WAL files, WAL copies) the "
                    + "catalog records under each key id, every key id listed (0: the key encrypts nothing the catalog "
                    + "points at any more; a REENCRYPT job brings the older keys there)")
            Map<String, Long> objectsByKey,
            @Schema(description = "objects the catalog records no key id for (copies made before key ids were "
                    + "recorded for them); a REENCRYPT job reads and records their keys")
            long objectsWithoutRecordedKey,
            @Schema(description = "the key ids the block store (.blocks/: blocks of BLOCKS backups and its HMAC key, "
                    + "which the catalog does not list) may hold objects under: noted by each writer of blocks, "
                    + "cleared to the current key by a REENCRYPT job; none of them can be removed")
            List<String> blockStoreKeyIds,
            @Schema(description = "true when the block store holds objects written before their keys were noted: no "
                    + "older key can be removed until a REENCRYPT job has listed it")
            boolean blockStoreKeysUnknown) {

        static KeysResponse of(RepositoryKeyRotation.KeyIds keys) {
            return new KeysResponse(keys.repository(), keys.currentKeyId(), keys.keyIds(), keys.refusal(),
                    keys.objectsByKey(), keys.objectsWithoutRecordedKey(), keys.blockStoreKeyIds(),
                    keys.blockStoreKeysUnknown());
        }
    }
}
