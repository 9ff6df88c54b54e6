package io.pgvault.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupSpec;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterSettings;
import io.pgvault.cluster.WalArchiveMode;
import io.pgvault.job.JobService;
import io.pgvault.job.TimerListener;
import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The schedule service on the real job engine (db-scheduler on an in-memory catalog) and a real cluster, with two
 * test hooks: a clock that a test can set, and a gate that can hold a firing schedule timer after its listener
 * returned and before the engine reschedules it. No web server: the service is called directly.
 */
@SpringBootTest
class ScheduleServiceTests {

    static final String CLUSTER = "schedule-service";
    static final String DB = "schedule service db";
    static final String ONE_DAY_DB = "schedule service one-day db";
    static PgCluster pg;

    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) throws IOException {
        Path dir = io.pgvault.testing.TempDirs.create("pgvault-schedule-service");
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:pgvault-schedule-service;DB_CLOSE_DELAY=-1");
        registry.add("pgvault.storage.local.root", () -> dir.resolve("store").toString());
        registry.add("pgvault.security.key-file", () -> dir.resolve("pgvault.key").toString());
        registry.add("pgvault.tools.pass-file-directory", () -> dir.resolve("pgpass").toString());
        registry.add("pgvault.storage.local.min-free-bytes", () -> "0");
        registry.add("pgvault.security.admin-token", () -> "schedule-service-tests-admin-token");
        registry.add("pgvault.jobs.instance-name", () -> "schedule-service");
        registry.add("pgvault.jobs.poll-interval", () -> "100ms");
    }

    @BeforeAll
    static void seed() {
        pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
        }
    }

    @Autowired
    ScheduleService schedules;
    @Autowired
    ClusterService clusters;
    @Autowired
    JobService jobs;
    @Autowired
    SettableClock clock;
    @Autowired
    Gate gate;
    @Autowired
    ScheduleTimers timers;
    @Autowired
    DataSource dataSource;
    @Autowired
    PlatformTransactionManager transactions;

    @AfterEach
    void systemTime() {
        clock.set(null);
    }

    private void register() {
        if (clusters.list().stream().noneMatch(c -> c.name().equals(CLUSTER))) {
            clusters.register(CLUSTER, new ClusterSettings(pg.host(), pg.port(), pg.superuser(), null, "postgres",
                    "prefer", WalArchiveMode.NONE, null, null, null, null, null, null, null));
        }
    }

    private static ScheduleSpec spec(String cron, String zone, boolean enabled, String database) {
        return new ScheduleSpec(CLUSTER, cron, zone, enabled, BackupSpec.of(BackupKind.DUMP, database, null, null,
                null, null, null, null, null, false, false, false, false, false, null), null, null, null);
    }

    private static Instant at(String instant) {
        return Instant.parse(instant);
    }

    @Test
    void aDailyBackupAtHalfPastTwoRunsOnceOnBothDaysTheClocksChange() {
        register();
        ScheduleSpec spec = spec("0 30 2 * * *", "Europe/Berlin", true, ONE_DAY_DB);
        createOneDayDatabase();
        clock.set(at("2027-03-27T12:00:00Z"));
        UUID id = schedules.create(spec).id();
        assertThat(schedules.get(id).nextRunAt()).as("03:00 CEST: 02:30 does not exist").isEqualTo(at("2027-03-28T01:00:00Z"));
        // without its database the backup cannot start: the run is recorded as a failure, and no tool runs
        pg.dropDatabase(ONE_DAY_DB);
        clock.set(at("2027-03-28T01:00:00.150Z"));
        assertThat(schedules.fire(id, at("2027-03-28T01:00:00Z"))).isEqualTo(at("2027-03-29T00:30:00Z"));
        assertThat(schedules.get(id).lastRunAt()).isEqualTo(at("2027-03-28T01:00:00.150Z"));
        assertThat(schedules.get(id).lastError()).contains("does not exist");

        createOneDayDatabase();
        clock.set(at("2027-10-30T12:00:00Z"));
        assertThat(schedules.update(id, spec).nextRunAt()).as("the first 02:30, CEST").isEqualTo(at("2027-10-31T00:30:00Z"));
        pg.dropDatabase(ONE_DAY_DB);
        clock.set(at("2027-10-31T00:30:00.150Z"));
        assertThat(schedules.fire(id, at("2027-10-31T00:30:00Z"))).as("tomorrow's, not the second 02:30 (CET)")
                .isEqualTo(at("2027-11-01T01:30:00Z"));
        // a timer at the second 02:30 (as Spring's next computed it) finds the day's run done
        clock.set(at("2027-10-31T01:30:00.150Z"));
        assertThat(schedules.fire(id, at("2027-10-31T01:30:00Z"))).isEqualTo(at("2027-11-01T01:30:00Z"));
        assertThat(schedules.get(id).lastRunAt()).isEqualTo(at("2027-10-31T00:30:00.150Z"));
        schedules.delete(id, BackupsOfDeletedSchedule.KEEP);
    }

    private static void createOneDayDatabase() {
        if (!pg.databaseExists(ONE_DAY_DB)) {
            pg.createDatabase(ONE_DAY_DB);
        }
    }

    @Test
    void aChangeWhileTheTimerFiresIsWhatTheTimerKeeps() {
        register();
        UUID id = schedules.create(spec("0 0 0 1 1 *", "UTC", true, DB)).id();
        ScheduleView changed = whileFiring(id, () -> schedules.update(id, spec("0 0 3 * * *", "UTC", true, DB)));
        assertThat(changed.nextRunAt()).isBefore(Instant.now().plus(Duration.ofDays(1)));
        assertThat(timerAfterFiring(ScheduleService.TIMER, id)).as("the new cron's next run, not New Year's")
                .isEqualTo(changed.nextRunAt());
        schedules.delete(id, BackupsOfDeletedSchedule.KEEP);
    }

    @Test
    void anEnabledScheduleThatLostItsTimerGetsItBackAtStartUp() {
        register();
        UUID id = schedules.create(spec("0 0 0 1 1 *", "UTC", true, DB)).id();
        Instant next = schedules.get(id).nextRunAt();
        jobs.cancelTimer(ScheduleService.TIMER, id.toString());
        assertThat(timerAfterFiring(ScheduleService.TIMER, id)).isNull();
        timers.repair();
        assertThat(timerAfterFiring(ScheduleService.TIMER, id)).isEqualTo(next);
        schedules.delete(id, BackupsOfDeletedSchedule.KEEP);
        timers.repair();
        assertThat(timerAfterFiring(ScheduleService.TIMER, id)).as("a deleted schedule gets none").isNull();
    }

    @Test
    void aDeleteWhileTheTimerFiresLeavesNoTimer() {
        register();
        UUID id = schedules.create(spec("0 0 0 1 1 *", "UTC", true, DB)).id();
        whileFiring(id, () -> {
            schedules.delete(id, BackupsOfDeletedSchedule.KEEP);
            return null;
        });
        assertThat(timerAfterFiring(ScheduleService.TIMER, id)).isNull();
    }

    @Test
    void reEnablingWhileTheTimerFindsTheScheduleDisabledKeepsItsTimer() {
        register();
        UUID id = schedules.create(spec("0 0 0 1 1 *", "UTC", true, DB)).id();
        schedules.update(id, spec("0 0 0 1 1 *", "UTC", false, DB));
        // a disabled schedule's timer is gone; one that fires now finds the schedule disabled and removes itself
        ScheduleView enabled = whileFiring(id, () -> schedules.update(id, spec("0 0 3 * * *", "UTC", true, DB)));
        assertThat(timerAfterFiring(ScheduleService.TIMER, id)).isEqualTo(enabled.nextRunAt());
        schedules.delete(id, BackupsOfDeletedSchedule.KEEP);
    }

    /**
     * Fires the schedule's timer now and holds the engine once the listener has returned (its transaction has
     * committed) and before the engine reschedules the timer; runs {@code change} in a transaction and lets the
     * engine go on right after that transaction commits: the change was made while the timer fired. Our
     * synchronization is registered before any of the change's own, so it runs first.
     */
    private <T> T whileFiring(UUID id, Supplier<T> change) {
        Gate.Held held = gate.hold(ScheduleService.TIMER + ":" + id);
        jobs.setTimer(ScheduleService.TIMER, id.toString(), Instant.now());
        held.awaitFired();
        return new TransactionTemplate(transactions).execute(t -> {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    held.release();
                }
            });
            return change.get();
        });
    }

    /** The timer's time once the engine has rescheduled (or removed) it, or null when there is none. */
    private Instant timerAfterFiring(String kind, UUID id) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            List<Map<String, Object>> rows = jdbc.queryForList("select picked, execution_time from scheduled_tasks "
                    + "where task_name = 'pgvault-timer' and task_instance = ?", kind + ":" + id);
            if (rows.isEmpty()) {
                return null;
            }
            if (!Boolean.TRUE.equals(rows.get(0).get("picked"))) {
                return ((OffsetDateTime) rows.get(0).get("execution_time")).toInstant();
            }
            assertThat(System.nanoTime()).as("timer %s:%s still firing", kind, id).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class Hooks {

        @Bean
        @Primary
        SettableClock settableClock() {
            return new SettableClock();
        }

        @Bean
        Gate gate() {
            return new Gate();
        }

        /** Puts the gate between the engine and the schedules' timer listener. */
        @Bean
        static BeanPostProcessor gatedScheduleTimer(org.springframework.beans.factory.ObjectProvider<Gate> gate) {
            return new BeanPostProcessor() {
                @Override
                public Object postProcessAfterInitialization(Object bean, String name) {
                    if (bean instanceof ScheduleTimer timer) {
                        return new TimerListener() {
                            @Override
                            public String kind() {
                                return timer.kind();
                            }

                            @Override
                            public Instant fire(String id, Instant due) {
                                Instant next = timer.fire(id, due);
                                gate.getObject().pass(kind() + ":" + id);
                                return next;
                            }
                        };
                    }
                    return bean;
                }
            };
        }
    }

    /** Holds one timer's firing after its listener returned, until the test lets it go on. */
    static final class Gate {

        private volatile Held held;

        Held hold(String key) {
            held = new Held(key);
            return held;
        }

        void pass(String key) {
            Held h = held;
            if (h != null && h.key.equals(key)) {
                held = null;
                h.fired.countDown();
                try {
                    h.released.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        static final class Held {
            private final String key;
            private final CountDownLatch fired = new CountDownLatch(1);
            private final CountDownLatch released = new CountDownLatch(1);

            Held(String key) {
                this.key = key;
            }

            void awaitFired() {
                try {
                    assertThat(fired.await(30, TimeUnit.SECONDS)).as("timer %s fired", key).isTrue();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }

            void release() {
                released.countDown();
            }
        }
    }

    /** The system clock, or a pinned instant. */
    static final class SettableClock extends Clock {

        private volatile Instant pinned;

        void set(Instant instant) {
            pinned = instant;
        }

        @Override
        public Instant instant() {
            Instant p = pinned;
            return p != null ? p : Instant.now();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("pgvault reads instants only");
        }
    }
}
