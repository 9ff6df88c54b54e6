package io.pgvault.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupSpec;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterSettings;
import io.pgvault.cluster.WalArchiveMode;
import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The schedule service on the real job engine (db-scheduler on an in-memory catalog) and a real cluster, with a
 * clock that a test can set. No web server: the service is called directly.
 */
@SpringBootTest
class ScheduleServiceTests {

    static final String CLUSTER = "schedule-service";
    static final String DB = "schedule service db";
    static final String ONE_DAY_DB = "schedule service one-day db";
    static PgCluster pg;

    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) throws IOException {
        Path dir = Files.createTempDirectory("pgvault-schedule-service");
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
    SettableClock clock;

    @AfterEach
    void systemTime() {
        clock.set(null);
    }

    private void register() {
        if (clusters.list().stream().noneMatch(c -> c.name().equals(CLUSTER))) {
            clusters.register(CLUSTER, new ClusterSettings(pg.host(), pg.port(), pg.superuser(), null, "postgres",
                    "prefer", WalArchiveMode.NONE, null, null, null));
        }
    }

    private static ScheduleSpec spec(String cron, String zone, boolean enabled, String database) {
        return new ScheduleSpec(CLUSTER, cron, zone, enabled, new BackupSpec(BackupKind.DUMP, database, null, null,
                null, null, null, null, null, false, false, false, false, false, null), null, null);
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
        schedules.delete(id);
    }

    private static void createOneDayDatabase() {
        if (!pg.databaseExists(ONE_DAY_DB)) {
            pg.createDatabase(ONE_DAY_DB);
        }
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class Hooks {

        @Bean
        @Primary
        SettableClock settableClock() {
            return new SettableClock();
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
