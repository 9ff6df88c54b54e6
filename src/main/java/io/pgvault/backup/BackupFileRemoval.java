package io.pgvault.backup;

import io.pgvault.storage.BackupStorage;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** Removes a deleted or expired backup's files, and its copies', once the catalog's change is committed. */
@Component
class BackupFileRemoval {

    private static final Logger log = LoggerFactory.getLogger(BackupFileRemoval.class);

    private final BackupStorage storage;
    private final BackupCopies copies;

    BackupFileRemoval(BackupStorage storage, BackupCopies copies) {
        this.storage = storage;
        this.copies = copies;
    }

    /** Files go only once the catalog no longer points at them; a failure then leaves an orphan, logged. */
    void afterCommit(UUID id, String repository, String location) {
        if (location == null) {
            return;
        }
        List<BackupCopy> copied = copies.of(id).stream().filter(c -> c.location() != null).toList();
        copies.deleted(id);
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                try {
                    storage.delete(repository, location);
                } catch (IOException e) {
                    log.warn("Backup {} is out of the catalog but its files at {} could not be deleted: {}", id,
                            location, e.toString());
                }
                for (BackupCopy copy : copied) {
                    try {
                        storage.delete(copy.repository(), copy.location());
                    } catch (IOException | RuntimeException e) {
                        log.warn("Backup {} is out of the catalog but its copy in repository '{}' could not be "
                                + "deleted: {}", id, copy.repository(), e.toString());
                    }
                }
            }
        });
    }
}
