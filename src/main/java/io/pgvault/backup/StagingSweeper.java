package io.pgvault.backup;

import io.pgvault.storage.Workspace;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * At start-up, removes what a crash left: staging files of no unfinished backup, and cut-off WAL pushes.
 */
@Component
class StagingSweeper {

    private static final Logger log = LoggerFactory.getLogger(StagingSweeper.class);
    private final BackupRepository backups;
    private final Workspace workspace;

    StagingSweeper(BackupRepository backups, Workspace workspace) {
        this.backups = backups;
        this.workspace = workspace;
    }

    @EventListener(ApplicationReadyEvent.class)
    void sweep() throws IOException {
        Set<UUID> unfinished = backups.findAll((root, query, cb) ->
                root.get("status").in(BackupStatus.QUEUED, BackupStatus.RUNNING)).stream()
                .map(Backup::getId).collect(Collectors.toSet());
        int removed = workspace.sweepStaging(unfinished);
        if (removed > 0) {
            log.warn("Removed {} staging area(s) left by an earlier run", removed);
        }
        Instant started = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
        int pushes = workspace.sweepWalPushes(started);
        if (pushes > 0) {
            log.warn("Removed {} partial WAL push(es) cut off by an earlier run", pushes);
        }
    }
}
