package io.pgvault.schedule;

import io.pgvault.job.JobService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * A schedule's two timers in the job engine (its runs, its drills), set from the schedule's row.
 *
 * <p>db-scheduler cannot move a timer while it fires, and when the firing ends it sets the timer to the time
 * the listener computed from the definition it read. A change that commits after that read would be lost, and
 * the schedule would run at the old cron's next time (or, when the firing found it disabled, never again). So a
 * change that finds a timer firing sets the timers again once it has committed, retrying briefly until the
 * firing has ended; each attempt reads the row under its lock, so whoever sets the timers last, on any instance,
 * sets them from the newest definition.
 */
@Component
class ScheduleTimers {

    /** About 4 s in all: a firing ends within milliseconds of its transaction, unless it waits for our row lock. */
    private static final List<Duration> RETRIES = List.of(Duration.ZERO, Duration.ofMillis(10), Duration.ofMillis(20),
            Duration.ofMillis(40), Duration.ofMillis(80), Duration.ofMillis(160), Duration.ofMillis(320),
            Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofMillis(500),
            Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofMillis(500));
    private static final Logger log = LoggerFactory.getLogger(ScheduleTimers.class);

    private final JobService jobs;
    private final ScheduleRepository schedules;
    private final JsonMapper json;
    private final Clock clock;
    private final TransactionTemplate newTx;

    ScheduleTimers(JobService jobs, ScheduleRepository schedules, JsonMapper json, Clock clock,
            PlatformTransactionManager transactions) {
        this.jobs = jobs;
        this.schedules = schedules;
        this.json = json;
        this.clock = clock;
        // after commit the finished transaction's connection is still bound: each attempt needs its own
        this.newTx = new TransactionTemplate(transactions);
        this.newTx.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
    }

    /** Sets both timers from the schedule, whose row the caller's transaction has locked. */
    void follow(Schedule schedule) {
        if (!set(schedule)) {
            againAfterCommit(schedule.getId());
        }
    }

    /**
     * At start-up, every enabled schedule gets back a timer it lost (an instance died between a change's
     * commit and its retry, or the retries ran out): a timer that exists keeps its time; a missing one is
     * set to the schedule's next run, which fires at once when it is past.
     */
    @EventListener(ApplicationReadyEvent.class)
    void repair() {
        newTx.executeWithoutResult(t -> {
            for (Schedule s : schedules.findAllByOrderByCreatedAt()) {
                if (s.isEnabled()) {
                    String id = s.getId().toString();
                    jobs.ensureTimer(ScheduleService.TIMER, id, s.getNextRunAt() == null ? clock.instant()
                            : s.getNextRunAt());
                    Instant drill = nextDrill(s, clock.instant());
                    if (drill != null) {
                        jobs.ensureTimer(ScheduleService.DRILL_TIMER, id, drill);
                    }
                }
            }
        });
    }

    /** Removes both timers of a schedule whose row the caller's transaction deletes. */
    void forget(UUID id) {
        if (!cancel(id)) {
            againAfterCommit(id);
        }
    }

    /** The next drill of the schedule strictly after {@code after}, or null when it has no drills. */
    Instant nextDrill(Schedule schedule, Instant after) {
        VerificationPolicy policy = VerificationPolicy.read(json, schedule.getVerification());
        if (policy == null || policy.drillCron() == null) {
            return null;
        }
        return CronSchedule.parse(policy.drillCron(), ZoneId.of(schedule.getTimeZone())).next(after);
    }

    private boolean set(Schedule schedule) {
        String id = schedule.getId().toString();
        Instant run = schedule.isEnabled() ? schedule.getNextRunAt() : null;
        Instant drill = schedule.isEnabled() ? nextDrill(schedule, clock.instant()) : null;
        boolean runSet = run == null ? jobs.cancelTimer(ScheduleService.TIMER, id)
                : jobs.setTimer(ScheduleService.TIMER, id, run);
        boolean drillSet = drill == null ? jobs.cancelTimer(ScheduleService.DRILL_TIMER, id)
                : jobs.setTimer(ScheduleService.DRILL_TIMER, id, drill);
        return runSet && drillSet;
    }

    private boolean cancel(UUID id) {
        boolean run = jobs.cancelTimer(ScheduleService.TIMER, id.toString());
        return jobs.cancelTimer(ScheduleService.DRILL_TIMER, id.toString()) && run;
    }

    private void againAfterCommit(UUID id) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            throw new IllegalStateException("schedule timers are set in the transaction that changes the schedule");
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                again(id);
            }
        });
    }

    /** Sets the timers from the committed row, until no timer of the schedule is firing any more. */
    private void again(UUID id) {
        try {
            for (Duration wait : RETRIES) {
                Thread.sleep(wait.toMillis());
                Boolean settled = newTx.execute(t -> schedules.lockById(id).map(this::set).orElseGet(() -> cancel(id)));
                if (Boolean.TRUE.equals(settled)) {
                    return;
                }
            }
            log.warn("Schedule {}: a timer was still firing {} s after the schedule changed; it fires next at the "
                    + "time the firing computed from the definition it read", id, total().toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // the change has committed: the caller's answer stands, and the timer keeps the firing's time
            log.warn("Schedule {}: could not set its timers after a change: {}", id, e.toString());
        }
    }

    private static Duration total() {
        return RETRIES.stream().reduce(Duration.ZERO, Duration::plus);
    }
}
