package io.pgvault.copy;

import io.pgvault.backup.BackupSucceeded;
import io.pgvault.schedule.ScheduleService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** A schedule's {@code copyTo}: each backup it takes is copied to those repositories once it succeeded. */
@Component
class CopyAfterScheduledBackup {

    private static final Logger log = LoggerFactory.getLogger(CopyAfterScheduledBackup.class);

    private final ScheduleService schedules;
    private final CopyService copies;

    CopyAfterScheduledBackup(ScheduleService schedules, CopyService copies) {
        this.schedules = schedules;
        this.copies = copies;
    }

    @EventListener
    void on(BackupSucceeded event) {
        if (event.scheduleId() == null) {
            return;
        }
        for (String repository : schedules.copyTo(event.scheduleId())) {
            try {
                copies.start(event.backupId(), repository);
            } catch (RuntimeException e) {
                log.warn("Backup {} of schedule {} could not be queued for a copy to repository '{}': {}",
                        event.backupId(), event.scheduleId(), repository, e.getMessage());
            }
        }
    }
}
