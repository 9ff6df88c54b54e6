package io.pgvault.retention;

import io.pgvault.backup.BackupSucceeded;
import io.pgvault.schedule.ScheduleService;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** A schedule with a retention policy applies it after each of its successful backups. */
@Component
class RetentionAfterScheduledBackup {

    private final ScheduleService schedules;
    private final RetentionService retention;

    RetentionAfterScheduledBackup(ScheduleService schedules, RetentionService retention) {
        this.schedules = schedules;
        this.retention = retention;
    }

    @EventListener
    void on(BackupSucceeded event) {
        if (event.scheduleId() != null && schedules.retention(event.scheduleId()).isPresent()) {
            retention.start(event.cluster());
        }
    }
}
