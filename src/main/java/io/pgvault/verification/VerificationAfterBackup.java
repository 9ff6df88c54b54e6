package io.pgvault.verification;

import io.pgvault.backup.VerificationLevel;
import java.util.Optional;
import java.util.UUID;

/** Which level a schedule wants verified after each of its backups (LIST when it says nothing). */
public interface VerificationAfterBackup {

    Optional<VerificationLevel> levelAfter(UUID scheduleId);
}
