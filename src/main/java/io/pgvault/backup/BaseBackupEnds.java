package io.pgvault.backup;

import io.pgvault.wal.BaseBackupCatalog;
import java.util.List;
import org.springframework.stereotype.Component;

/** Tells the WAL archive where the cluster's base backups end, for its recovery window. */
@Component
class BaseBackupEnds implements BaseBackupCatalog {

    private final BackupCatalog backups;

    BaseBackupEnds(BackupCatalog backups) {
        this.backups = backups;
    }

    @Override
    public List<BaseBackupEnd> baseBackups(String cluster) {
        return backups.baseBackups(cluster).stream()
                .map(b -> new BaseBackupEnd(b.id(), b.timeline(), b.stopLsn(), b.lastWal(), b.finishedAt())).toList();
    }
}
