package io.pgvault.backup;

import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** The backup job's catalog writes (and the size check's flag on its result), each its own transaction. */
@Component
class BackupLedger {

    private final BackupRepository backups;
    private final BackupCatalog catalog;
    private final Clock clock;
    private final tools.jackson.databind.json.JsonMapper json;

    BackupLedger(BackupRepository backups, BackupCatalog catalog, Clock clock, tools.jackson.databind.json.JsonMapper json) {
        this.backups = backups;
        this.catalog = catalog;
        this.clock = clock;
        this.json = json;
    }

    @Transactional(readOnly = true)
    BackupView view(UUID id) {
        return catalog.get(id);
    }

    /** See {@link BackupCatalog#lastSizeOfSameSpec}. */
    Long lastSizeOfSameSpec(UUID id) {
        return catalog.lastSizeOfSameSpec(id);
    }

    @Transactional
    void start(UUID id, BackupRunner.Versions versions) {
        lock(id).start(versions.server(), versions.tool(), clock.instant());
    }

    @Transactional
    void succeed(UUID id, String location, List<BackupFile> files, String sha256, BackupRunner.Result result) {
        Backup backup = lock(id);
        backup.recordWal(result.startLsn(), result.stopLsn(), result.timeline(), result.firstWal(), result.lastWal());
        backup.recordServerConfig(result.serverConfig() == null ? null : json.writeValueAsString(result.serverConfig()),
                result.warnings());
        backup.succeed(location, files, sha256, clock.instant());
        if (result.blocks() != null) {
            BackupRunner.Blocks b = result.blocks();
            backup.recordBlocks(b.type(), b.reference(), b.dataSizeBytes(), b.addedBytes());
        }
    }

    /** Records a DUMP's row counts, taken after it SUCCEEDED; a backup deleted meanwhile keeps nothing. */
    @Transactional
    void recordTableRows(UUID id, List<TableRows> rows) {
        backups.lockById(id).ifPresent(b -> b.recordTableRows(rows));
    }

    /** Ends an unfinished backup as FAILED or CANCELLED; a finished one is left as it is. */
    @Transactional
    void end(UUID id, boolean cancelled, String reason) {
        Backup backup = backups.lockById(id).orElse(null);
        if (backup == null || (backup.getStatus() != BackupStatus.QUEUED && backup.getStatus() != BackupStatus.RUNNING)) {
            return;
        }
        if (cancelled) {
            backup.cancel(reason, clock.instant());
        } else {
            backup.fail(reason, clock.instant());
        }
    }

    /** Records what {@link SizeAnomalyCheck} found on a successful backup. */
    @Transactional
    void flagSizeAnomaly(UUID id, String anomaly) {
        lock(id).flagSize(anomaly);
    }

    private Backup lock(UUID id) {
        return backups.lockById(id).orElseThrow(() -> BackupCatalog.notFound(id));
    }
}
