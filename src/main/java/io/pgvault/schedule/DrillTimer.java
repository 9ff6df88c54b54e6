package io.pgvault.schedule;

import io.pgvault.job.TimerListener;
import java.time.Instant;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** The job engine's timers of kind {@code drill}: a schedule's periodic restore drills ({@code drillCron}). */
@Component
class DrillTimer implements TimerListener {

    private final ScheduleService schedules;

    DrillTimer(ScheduleService schedules) {
        this.schedules = schedules;
    }

    @Override
    public String kind() {
        return ScheduleService.DRILL_TIMER;
    }

    @Override
    public Instant fire(String id, Instant due) {
        return schedules.fireDrill(UUID.fromString(id), due);
    }
}
