package io.pgvault.schedule;

import io.pgvault.api.InvalidRequestException;
import io.pgvault.api.NotFoundException;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupRetention;
import io.pgvault.backup.BackupService;
import io.pgvault.backup.BackupVerifications;
import io.pgvault.backup.BackupSpec;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.RecordedRetention;
import io.pgvault.backup.VerificationLevel;
import io.pgvault.cluster.ClusterService;
import io.pgvault.job.JobService;
import io.pgvault.job.JobStatus;
import io.pgvault.job.JobView;
import io.pgvault.cluster.RetentionPolicy;
import io.pgvault.cluster.TimeZones;
import io.pgvault.verification.VerificationAfterBackup;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import io.pgvault.storage.Repositories;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Schedules: validated in full before anything is stored, each with one persisted timer in the job engine
 * (set in the same transaction as the row), which fires on exactly one pgvault instance. Every change to a
 * schedule's row happens under its row lock, as the timer's firing does, so that neither overwrites the other
 * with what it read before the other committed (see {@link ScheduleTimers} for the timer itself).
 */
@Service
public class ScheduleService implements VerificationAfterBackup {

    static final String TIMER = "schedule";
    static final String DRILL_TIMER = "drill";
    private static final Logger log = LoggerFactory.getLogger(ScheduleService.class);

    private final ScheduleRepository schedules;
    private final ScheduleTimers timers;
    private final BackupsAfterDeletion afterDeletion;
    private final ClusterService clusters;
    private final BackupService backups;
    private final BackupRetention retained;
    private final BackupVerifications verifications;
    private final JobService jobs;
    private final JsonMapper json;
    private final Clock clock;
    private final TransactionTemplate tx;
    private final TransactionTemplate readOnlyTx;

    private final Repositories repositories;

    ScheduleService(ScheduleRepository schedules, ScheduleTimers timers, BackupsAfterDeletion afterDeletion,
            ClusterService clusters, BackupService backups, BackupRetention retained,
            BackupVerifications verifications, JobService jobs, JsonMapper json, Clock clock,
            PlatformTransactionManager transactions, Repositories repositories) {
        this.repositories = repositories;
        this.schedules = schedules;
        this.timers = timers;
        this.afterDeletion = afterDeletion;
        this.clusters = clusters;
        this.backups = backups;
        this.retained = retained;
        this.verifications = verifications;
        this.jobs = jobs;
        this.json = json;
        this.clock = clock;
        this.tx = new TransactionTemplate(transactions);
        this.readOnlyTx = new TransactionTemplate(transactions);
        this.readOnlyTx.setReadOnly(true);
        this.readOnlyTx.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
    }

    @Transactional(readOnly = true)
    public List<ScheduleView> list(String cluster) {
        return (cluster == null ? schedules.findAllByOrderByCreatedAt()
                : schedules.findByClusterOrderByCreatedAt(cluster)).stream().map(this::view).toList();
    }

    @Transactional(readOnly = true)
    public ScheduleView get(UUID id) {
        return view(find(id));
    }

    @Transactional
    public ScheduleView create(ScheduleSpec spec) {
        if (spec.cluster() == null || spec.cluster().isBlank()) {
            throw new InvalidRequestException("cluster", "cluster is required: the registered cluster to back up");
        }
        Schedule schedule = new Schedule(UUID.randomUUID(), spec.cluster(), clock.instant());
        define(schedule, spec);
        schedules.save(schedule);
        return view(schedule);
    }

    @Transactional
    public ScheduleView update(UUID id, ScheduleSpec spec) {
        return update(lock(id), spec);
    }

    /** Changes a schedule to what {@code change} makes of its current state, its row locked in between (PATCH). */
    @Transactional
    public ScheduleView update(UUID id, java.util.function.Function<ScheduleView, ScheduleSpec> change) {
        Schedule schedule = lock(id);
        return update(schedule, change.apply(view(schedule)));
    }

    private ScheduleView update(Schedule schedule, ScheduleSpec spec) {
        if (spec.cluster() != null && !spec.cluster().equals(schedule.getCluster())) {
            throw new InvalidRequestException("cluster", "a schedule cannot move to another cluster; create a new one");
        }
        define(schedule, new ScheduleSpec(schedule.getCluster(), spec.cron(), spec.timeZone(), spec.enabled(),
                spec.backup(), spec.retention(), spec.verification(), spec.copyTo()));
        return view(schedule);
    }

    /**
     * Deletes a schedule and says what happens to its backups: {@code KEEP} leaves them under the policy
     * each was taken under, {@code RELEASE} hands them to the cluster's policy, {@code EXPIRE} expires them
     * now (pinned ones and those a job is using stay). A schedule that is already gone but whose backups
     * still remember it can be deleted again to release or expire them.
     */
    @Transactional
    public ScheduleDeletion delete(UUID id, BackupsOfDeletedSchedule action) {
        Schedule schedule = schedules.lockById(id).orElse(null);
        List<BackupView> taken = retained.succeededOfSchedule(id);
        if (schedule == null && (action == BackupsOfDeletedSchedule.KEEP || taken.isEmpty())) {
            throw new NotFoundException("no schedule with id " + id);
        }
        String cluster = schedule != null ? schedule.getCluster() : taken.get(0).cluster();
        if (schedule != null) {
            schedules.delete(schedule);
            timers.forget(id);
        }
        return afterDeletion.settle(id, cluster, schedule != null, action, taken);
    }

    /** Runs the schedule's backup now; the next scheduled time does not move. */
    @Transactional
    public JobView runNow(UUID id) {
        Schedule schedule = lock(id);
        JobView job = backups.start(schedule.getCluster(), backupSpec(schedule), schedule.getId(), null,
                retainedUnder(schedule));
        schedule.ran(clock.instant(), job.id(), null, schedule.getNextRunAt());
        return job;
    }

    /**
     * The timer's work, once per due time: under the schedule's row lock, a schedule whose next run time is
     * already past {@code now} has had this run (an instance died after recording it, and the engine revived
     * the timer); otherwise the backup is queued, the run recorded and the next time set in one transaction.
     * A backup that cannot start (the cluster is gone, the database was dropped) is recorded as the run's
     * failure, and the schedule moves on. The next time follows {@code due} as well as {@code now}, so that a
     * timer that fires early (another instance's clock) cannot run the same time twice.
     */
    Instant fire(UUID id, Instant due) {
        Schedule current = schedules.findById(id).orElse(null);
        if (current == null || !current.isEnabled()) {
            return null;
        }
        String refused = null;
        try {
            readOnlyTx.executeWithoutResult(t -> backups.check(current.getCluster(), backupSpec(current)));
        } catch (RuntimeException e) {
            refused = e.getMessage();
        }
        String error = refused;
        return tx.execute(t -> {
            Schedule schedule = schedules.lockById(id).orElse(null);
            if (schedule == null || !schedule.isEnabled()) {
                return null;
            }
            Instant now = clock.instant();
            Instant next = next(schedule.getCron(), schedule.getTimeZone(), latest(now, due));
            if (schedule.getNextRunAt() != null && schedule.getNextRunAt().isAfter(now)) {
                return schedule.getNextRunAt();
            }
            UUID jobId = null;
            if (error == null) {
                // the due time served: the one recorded (a late timer may carry an older one), else the timer's
                Instant served = schedule.getNextRunAt() != null ? schedule.getNextRunAt() : due;
                jobId = backups.start(schedule.getCluster(), backupSpec(schedule), id, served,
                        retainedUnder(schedule)).id();
            } else {
                log.warn("Schedule {} of cluster '{}' could not start its backup: {}", id, schedule.getCluster(), error);
            }
            schedule.ran(now, jobId, error, next);
            return next;
        });
    }

    /** A periodic drill: the newest successful backup of the schedule gets a RESTORE verification. */
    Instant fireDrill(UUID id, Instant due) {
        Schedule schedule = schedules.findById(id).orElse(null);
        VerificationPolicy policy = schedule == null ? null : verification(schedule);
        if (schedule == null || !schedule.isEnabled() || policy == null || policy.drillCron() == null) {
            return null;
        }
        Optional<UUID> newest = retained.newestOfSchedule(id);
        if (newest.isEmpty()) {
            log.info("Schedule {}: no successful backup to drill yet", id);
        } else {
            try {
                verifications.verify(newest.get(), VerificationLevel.RESTORE);
            } catch (RuntimeException e) {
                log.warn("Schedule {}: could not start the drill of backup {}: {}", id, newest.get(), e.getMessage());
            }
        }
        return timers.nextDrill(schedule, latest(clock.instant(), due));
    }

    @Override
    @Transactional(readOnly = true)
    public Optional<VerificationLevel> levelAfter(UUID scheduleId) {
        return schedules.findById(scheduleId).map(this::verification).map(VerificationPolicy::after);
    }

    /** The retention policy of a schedule, if it has one. */
    @Transactional(readOnly = true)
    public Optional<RetentionPolicy> retention(UUID scheduleId) {
        return schedules.findById(scheduleId).map(s -> s.getRetention() == null ? null
                : json.readValue(s.getRetention(), RetentionPolicy.class));
    }

    /** The cluster's schedules as retention sees them now: policy (or none), time zone and what they back up. */
    @Transactional(readOnly = true)
    public Map<UUID, ScheduleRetention> retentionOfSchedules(String cluster) {
        Map<UUID, ScheduleRetention> current = new LinkedHashMap<>();
        for (Schedule s : schedules.findByClusterOrderByCreatedAt(cluster)) {
            BackupSpec backup = backupSpec(s);
            current.put(s.getId(), new ScheduleRetention(s.getId(), s.getRetention() == null ? null
                    : json.readValue(s.getRetention(), RetentionPolicy.class), s.getTimeZone(), backup.kind(),
                    backup.database()));
        }
        return current;
    }

    private void define(Schedule schedule, ScheduleSpec spec) {
        try {
            clusters.get(schedule.getCluster());
        } catch (NotFoundException e) {
            throw new InvalidRequestException("cluster", "no cluster named '" + schedule.getCluster() + "'");
        }
        String zone = zone(spec.timeZone());
        String cron = cron(spec.cron(), "cron", zone);
        if (spec.backup() == null) {
            throw new InvalidRequestException("backup", "backup is required: the same body as POST "
                    + "/api/v1/clusters/{name}/backups, e.g. {\"kind\": \"BASE\"}");
        }
        BackupSpec backup = backups.check(schedule.getCluster(), spec.backup());
        RetentionPolicy retention = spec.retention() == null ? null : spec.retention().validated();
        VerificationPolicy verification = spec.verification() == null ? null : spec.verification().validated();
        boolean drills = verification != null && verification.drillCron() != null;
        if (drills) {
            cron(verification.drillCron(), "verification.drillCron", zone);
        }
        if ((drills || verification != null && verification.after() == VerificationLevel.RESTORE)
                && (backup.kind() == BackupKind.DUMP_ALL || backup.dataOnly())) {
            throw new InvalidRequestException("verification.after", "RESTORE drills are available for DUMP backups "
                    + "that hold their schema and for BASE backups; use CHECKSUM or LIST for this schedule");
        }
        List<String> copyTo = spec.copyTo() == null ? List.of() : spec.copyTo().stream().distinct().toList();
        copyTo.forEach(repository -> repositories.requireConfigured("copyTo", repository));
        boolean enabled = spec.enabled() == null || spec.enabled();
        Instant next = enabled ? next(cron, zone, clock.instant()) : null;
        schedule.define(cron, zone, enabled, json.writeValueAsString(backup),
                retention == null ? null : json.writeValueAsString(retention),
                verification == null ? null : json.writeValueAsString(verification), copyTo, next, clock.instant());
        timers.follow(schedule);
    }

    private String cron(String cron, String field, String zone) {
        if (cron == null || cron.isBlank()) {
            throw new InvalidRequestException(field, field + " is required, in Spring's six-field syntax (second minute "
                    + "hour day-of-month month day-of-week), e.g. \"0 30 2 * * *\" for 02:30 every day");
        }
        CronSchedule schedule;
        try {
            schedule = CronSchedule.parse(cron, ZoneId.of(zone));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(field, field + " '" + printable(cron) + "' is not a valid expression in "
                    + "Spring's six-field syntax (second minute hour day-of-month month day-of-week, e.g. "
                    + "\"0 30 2 * * *\"): " + printable(e.getMessage()));
        }
        if (schedule.next(clock.instant()) == null) {
            throw new InvalidRequestException(field, field + " '" + cron + "' never fires");
        }
        return cron;
    }

    private static String zone(String timeZone) {
        return timeZone == null ? "UTC" : TimeZones.check("timeZone", timeZone);
    }

    /** The cron's next run strictly after {@code after}, with cron's rule on the days the clocks change. */
    private static Instant next(String cron, String zone, Instant after) {
        return CronSchedule.parse(cron, ZoneId.of(zone)).next(after);
    }

    private static Instant latest(Instant now, Instant due) {
        return due != null && due.isAfter(now) ? due : now;
    }

    private static String printable(String s) {
        return s == null ? "" : s.replaceAll("[\\p{Cntrl}]", "?");
    }

    /** What a backup taken now remembers of the schedule's retention; null when the cluster's policy governs it. */
    private RecordedRetention retainedUnder(Schedule schedule) {
        return schedule.getRetention() == null ? null : new RecordedRetention(
                json.readValue(schedule.getRetention(), RetentionPolicy.class), schedule.getTimeZone());
    }

    private BackupSpec backupSpec(Schedule schedule) {
        return json.readValue(schedule.getBackupSpec(), BackupSpec.class);
    }

    private VerificationPolicy verification(Schedule schedule) {
        return VerificationPolicy.read(json, schedule.getVerification());
    }

    private Schedule find(UUID id) {
        return schedules.findById(id).orElseThrow(() -> new NotFoundException("no schedule with id " + id));
    }

    private Schedule lock(UUID id) {
        return schedules.lockById(id).orElseThrow(() -> new NotFoundException("no schedule with id " + id));
    }

    private ScheduleView view(Schedule s) {
        JobStatus outcome = s.getLastError() != null ? JobStatus.FAILED
                : s.getLastJobId() == null ? null : jobs.get(s.getLastJobId()).status();
        return new ScheduleView(s.getId(), s.getCluster(), s.getCron(), s.getTimeZone(), s.isEnabled(), backupSpec(s),
                s.getRetention() == null ? null : json.readValue(s.getRetention(), RetentionPolicy.class),
                verification(s), s.getCreatedAt(), s.getNextRunAt(), s.getLastRunAt(), s.getLastJobId(), outcome,
                s.getLastError(), s.getCopyTo().isEmpty() ? null : s.getCopyTo());
    }

    /** The repositories a schedule copies its backups to; empty for a schedule deleted meanwhile. */
    @Transactional(readOnly = true)
    public List<String> copyTo(UUID scheduleId) {
        return schedules.findById(scheduleId).map(Schedule::getCopyTo).orElse(List.of());
    }
}
