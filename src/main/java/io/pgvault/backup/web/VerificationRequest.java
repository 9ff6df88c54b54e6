package io.pgvault.backup.web;

import io.pgvault.backup.VerificationLevel;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.NotNull;

/** Asks for a verification at a level. */
record VerificationRequest(@Schema(example = "LIST") @NotNull VerificationLevel level) {
}
