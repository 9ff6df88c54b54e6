package io.pgvault.schedule;

import io.pgvault.job.TimerListener;
import java.time.Instant;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** The job engine's timers of kind {@code schedule}: one per enabled schedule. */
@Component
class ScheduleTimer implements TimerListener {

    private final ScheduleService schedules;

    ScheduleTimer(ScheduleService schedules) {
        this.schedules = schedules;
    }

    @Override
    public String kind() {
        return ScheduleService.TIMER;
    }

    @Override
    public Instant fire(String id, Instant due) {
        return schedules.fire(UUID.fromString(id), due);
    }
}
