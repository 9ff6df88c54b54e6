package io.pgvault.copy;

import io.pgvault.backup.BackupCopy;
import io.pgvault.backup.BackupFile;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.VerificationStatus;
import io.pgvault.storage.BackupStorage;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Consumer;
import org.springframework.stereotype.Component;

/**
 * Where a restore, recovery or drill reads a backup from: its own repository while every file is there with its
 * recorded size and its newest verification did not fail; else the first COPIED copy whose files are all there.
 * The choice is logged to the job, naming the copy used and why.
 */
@Component
public class BackupSources {

    private final BackupStorage storage;

    BackupSources(BackupStorage storage) {
        this.storage = storage;
    }

    public BackupView readable(BackupView backup, Consumer<String> log) {
        String problem = backup.verificationStatus() == VerificationStatus.FAILED
                ? "its newest verification failed (" + backup.verificationDetail() + ")" : missing(backup, true);
        if (problem == null) {
            return backup;
        }
        for (BackupCopy copy : backup.copies()) {
            if (copy.copied()) {
                BackupView there = backup.in(copy.repository());
                String copyProblem = missing(there, false);
                if (copyProblem == null) {
                    log.accept("pgvault: backup " + backup.id() + " in repository '" + backup.repository() + "': "
                            + problem + "; using its copy in repository '" + copy.repository() + "'");
                    return there;
                }
                log.accept("pgvault: the copy in repository '" + copy.repository() + "' cannot be used either: "
                        + copyProblem);
            }
        }
        log.accept("pgvault: backup " + backup.id() + " in repository '" + backup.repository() + "': " + problem
                + "; no usable copy, reading it there anyway");
        return backup;
    }

    /**
     * What is missing in the backup's repository, or of another size than recorded ({@code sizes}: in the
     * backup's own repository, whose stored sizes the catalog has), or null when every file is there.
     */
    private String missing(BackupView backup, boolean sizes) {
        for (BackupFile file : backup.files()) {
            long expected = file.storedSizeBytes() != null ? file.storedSizeBytes() : file.sizeBytes();
            try {
                Optional<Long> size = storage.storedSize(backup.repository(), backup.location(), file.path());
                if (size.isEmpty()) {
                    return file.path() + " is missing";
                }
                if (sizes && size.get() != expected) {
                    return file.path() + " has " + size.get() + " bytes, the catalog says " + expected;
                }
            } catch (IOException | RuntimeException e) {
                return file.path() + " cannot be reached: " + e.getMessage();
            }
        }
        return null;
    }
}
