package io.pgvault.schedule;

import io.pgvault.api.InvalidRequestException;
import io.pgvault.api.NotFoundException;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupService;
import io.pgvault.backup.BackupSpec;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.RecordedRetention;
import io.pgvault.backup.VerificationLevel;
import io.pgvault.cluster.ClusterService;
import io.pgvault.job.JobService;
import io.pgvault.job.JobStatus;
import io.pgvault.job.JobView;
import io.pgvault.cluster.RetentionPolicy;
import io.pgvault.verification.VerificationAfterBackup;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Schedules: validated in full before anything is stored, each with one persisted timer in the job engine
 * (set in the same transaction as the row), which fires on exactly one pgvault instance.
 */
@Service
public class ScheduleService implements VerificationAfterBackup {

    static final String TIMER = "schedule";
    static final String DRILL_TIMER = "drill";
    private static final Logger log = LoggerFactory.getLogger(ScheduleService.class);

    private final ScheduleRepository schedules;
    private final ClusterService clusters;
    private final BackupService backups;
    private final JobService jobs;
    private final JsonMapper json;
    private final Clock clock;
    private final TransactionTemplate tx;
    private final TransactionTemplate readOnlyTx;

    ScheduleService(ScheduleRepository schedules, ClusterService clusters, BackupService backups, JobService jobs,
            JsonMapper json, Clock clock, PlatformTransactionManager transactions) {
        this.schedules = schedules;
        this.clusters = clusters;
        this.backups = backups;
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
        Schedule schedule = find(id);
        if (spec.cluster() != null && !spec.cluster().equals(schedule.getCluster())) {
            throw new InvalidRequestException("cluster", "a schedule cannot move to another cluster; create a new one");
        }
        define(schedule, new ScheduleSpec(schedule.getCluster(), spec.cron(), spec.timeZone(), spec.enabled(),
                spec.backup(), spec.retention(), spec.verification()));
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
        List<BackupView> taken = backups.succeededOfSchedule(id);
        if (schedule == null && (action == BackupsOfDeletedSchedule.KEEP || taken.isEmpty())) {
            throw new NotFoundException("no schedule with id " + id);
        }
        String cluster = schedule != null ? schedule.getCluster() : taken.get(0).cluster();
        if (schedule != null) {
            schedules.delete(schedule);
            jobs.cancelTimer(TIMER, id.toString());
            jobs.cancelTimer(DRILL_TIMER, id.toString());
        }
        List<UUID> affected = new ArrayList<>();
        List<UUID> leftAlone = new ArrayList<>();
        String detail;
        switch (action) {
            case RELEASE -> {
                taken.stream().filter(b -> b.retention() != null).forEach(b ->
                        (backups.releaseRetention(b.id()) ? affected : leftAlone).add(b.id()));
                detail = affected.size() + " backup(s) now fall under the policy of cluster '" + cluster + "' ("
                        + RetentionPolicy.describe(clusters.get(cluster).retention()) + "); the next retention run "
                        + "decides about them (POST /api/v1/clusters/" + cluster + "/retention?dryRun=true shows how)";
            }
            case EXPIRE -> {
                taken.forEach(b -> (backups.expire(b.id(), "expired with its schedule " + id + " (backups=expire)")
                        ? affected : leftAlone).add(b.id()));
                detail = affected.size() + " backup(s) expired (their files go, their entries stay as EXPIRED)"
                        + (leftAlone.isEmpty() ? "" : "; " + leftAlone.size() + " stay: pinned or in use by a job");
            }
            default -> {
                taken.forEach(b -> affected.add(b.id()));
                long recorded = taken.stream().filter(b -> b.retention() != null).count();
                detail = recorded + " backup(s) keep the retention policy they were taken under"
                        + (recorded == taken.size() ? "" : ", " + (taken.size() - recorded)
                                + " stay under the cluster's policy as they were taken")
                        + "; DELETE this schedule again with backups=release to hand them to the cluster's policy, or "
                        + "backups=expire to expire them now";
            }
        }
        return new ScheduleDeletion(id, schedule != null, action.name().toLowerCase(java.util.Locale.ROOT), affected,
                leftAlone, detail);
    }

    /** Runs the schedule's backup now; the next scheduled time does not move. */
    @Transactional
    public JobView runNow(UUID id) {
        Schedule schedule = find(id);
        JobView job = backups.start(schedule.getCluster(), backupSpec(schedule), schedule.getId(), retainedUnder(schedule));
        schedule.ran(clock.instant(), job.id(), null, schedule.getNextRunAt());
        return job;
    }

    /**
     * The timer's work, once per due time: under the schedule's row lock, a schedule whose next run time is
     * already past {@code now} has had this run (an instance died after recording it, and the engine revived
     * the timer); otherwise the backup is queued, the run recorded and the next time set in one transaction.
     * A backup that cannot start (the cluster is gone, the database was dropped) is recorded as the run's
     * failure, and the schedule moves on.
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
            Instant next = next(schedule.getCron(), schedule.getTimeZone(), now);
            if (schedule.getNextRunAt() != null && schedule.getNextRunAt().isAfter(now)) {
                return schedule.getNextRunAt();
            }
            UUID jobId = null;
            if (error == null) {
                jobId = backups.start(schedule.getCluster(), backupSpec(schedule), id, retainedUnder(schedule)).id();
            } else {
                log.warn("Schedule {} of cluster '{}' could not start its backup: {}", id, schedule.getCluster(), error);
            }
            schedule.ran(now, jobId, error, next);
            return next;
        });
    }

    /** A periodic drill: the newest successful backup of the schedule gets a RESTORE verification. */
    Instant fireDrill(UUID id) {
        Schedule schedule = schedules.findById(id).orElse(null);
        VerificationPolicy policy = schedule == null ? null : verification(schedule);
        if (schedule == null || !schedule.isEnabled() || policy == null || policy.drillCron() == null) {
            return null;
        }
        Optional<UUID> newest = backups.newestOfSchedule(id);
        if (newest.isEmpty()) {
            log.info("Schedule {}: no successful backup to drill yet", id);
        } else {
            try {
                backups.verify(newest.get(), VerificationLevel.RESTORE);
            } catch (RuntimeException e) {
                log.warn("Schedule {}: could not start the drill of backup {}: {}", id, newest.get(), e.getMessage());
            }
        }
        return next(policy.drillCron(), schedule.getTimeZone(), clock.instant());
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
        String cron = cron(spec.cron());
        String zone = zone(spec.timeZone());
        if (spec.backup() == null) {
            throw new InvalidRequestException("backup", "backup is required: the same body as POST "
                    + "/api/v1/clusters/{name}/backups, e.g. {\"kind\": \"BASE\"}");
        }
        BackupSpec backup = backups.check(schedule.getCluster(), spec.backup());
        RetentionPolicy retention = spec.retention() == null ? null : spec.retention().validated();
        VerificationPolicy verification = spec.verification() == null ? null : spec.verification().validated();
        boolean drills = verification != null && verification.drillCron() != null;
        if (drills) {
            cron(verification.drillCron(), "verification.drillCron");
        }
        if ((drills || verification != null && verification.after() == VerificationLevel.RESTORE)
                && (backup.kind() == BackupKind.DUMP_ALL || backup.dataOnly())) {
            throw new InvalidRequestException("verification.after", "RESTORE drills are available for DUMP backups "
                    + "that hold their schema and for BASE backups; use CHECKSUM or LIST for this schedule");
        }
        boolean enabled = spec.enabled() == null || spec.enabled();
        Instant next = enabled ? next(cron, zone, clock.instant()) : null;
        schedule.define(cron, zone, enabled, json.writeValueAsString(backup),
                retention == null ? null : json.writeValueAsString(retention),
                verification == null ? null : json.writeValueAsString(verification), next, clock.instant());
        if (enabled) {
            jobs.setTimer(TIMER, schedule.getId().toString(), next);
        } else {
            jobs.cancelTimer(TIMER, schedule.getId().toString());
        }
        if (enabled && drills) {
            jobs.setTimer(DRILL_TIMER, schedule.getId().toString(),
                    next(verification.drillCron(), zone, clock.instant()));
        } else {
            jobs.cancelTimer(DRILL_TIMER, schedule.getId().toString());
        }
    }

    private static String cron(String cron) {
        return cron(cron, "cron");
    }

    private static String cron(String cron, String field) {
        if (cron == null || cron.isBlank()) {
            throw new InvalidRequestException(field, field + " is required, in Spring's six-field syntax (second minute "
                    + "hour day-of-month month day-of-week), e.g. \"0 30 2 * * *\" for 02:30 every day");
        }
        CronExpression expression;
        try {
            expression = CronExpression.parse(cron);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(field, field + " '" + printable(cron) + "' is not a valid expression in "
                    + "Spring's six-field syntax (second minute hour day-of-month month day-of-week, e.g. "
                    + "\"0 30 2 * * *\"): " + printable(e.getMessage()));
        }
        if (expression.next(ZonedDateTime.now(ZoneId.of("UTC"))) == null) {
            throw new InvalidRequestException(field, field + " '" + cron + "' never fires");
        }
        return cron;
    }

    private static String zone(String timeZone) {
        if (timeZone == null) {
            return "UTC";
        }
        try {
            return ZoneId.of(timeZone).getId();
        } catch (DateTimeException e) {
            throw new InvalidRequestException("timeZone", "timeZone '" + printable(timeZone) + "' is not a time zone; "
                    + "use a region id such as Europe/Berlin, or UTC");
        }
    }

    private Instant next(String cron, String zone, Instant after) {
        ZonedDateTime next = CronExpression.parse(cron).next(after.atZone(ZoneId.of(zone)));
        return next == null ? null : next.toInstant();
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
        return schedule.getVerification() == null ? null
                : json.readValue(schedule.getVerification(), VerificationPolicy.class);
    }

    private Schedule find(UUID id) {
        return schedules.findById(id).orElseThrow(() -> new NotFoundException("no schedule with id " + id));
    }

    private ScheduleView view(Schedule s) {
        JobStatus outcome = s.getLastError() != null ? JobStatus.FAILED
                : s.getLastJobId() == null ? null : jobs.get(s.getLastJobId()).status();
        return new ScheduleView(s.getId(), s.getCluster(), s.getCron(), s.getTimeZone(), s.isEnabled(), backupSpec(s),
                s.getRetention() == null ? null : json.readValue(s.getRetention(), RetentionPolicy.class),
                verification(s), s.getCreatedAt(), s.getNextRunAt(), s.getLastRunAt(), s.getLastJobId(), outcome,
                s.getLastError());
    }
}
