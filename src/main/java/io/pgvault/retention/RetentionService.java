package io.pgvault.retention;

import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupRetention;
import io.pgvault.backup.BackupView;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.cluster.RetentionPolicy;
import io.pgvault.job.Cancellation;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.schedule.ScheduleRetention;
import io.pgvault.schedule.ScheduleService;
import io.pgvault.wal.WalArchiveService;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Decides what a cluster keeps. Backups fall into groups: those a schedule took under a policy of its own,
 * by schedule, kind and database, under the policy they were taken under (the schedule's current one while
 * it still backs them up); the others by kind and database under the cluster's policy. In a group every
 * rule of the policy names what it keeps ({@link RetentionRules}: verified backups first, calendar buckets
 * in the schedule's or the cluster's time zone); pinned backups, the group's newest verified one and those
 * awaiting their verification are always kept; the rest expire. A group whose policy has no rule keeps
 * everything.
 */
@Service
public class RetentionService {

    private final BackupCatalog backups;
    private final BackupRetention retained;
    private final ClusterService clusters;
    private final ScheduleService schedules;
    private final WalArchiveService wal;
    private final JobService jobs;
    private final Clock clock;
    private final WalRetention walRetention;

    RetentionService(BackupCatalog backups, BackupRetention retained, ClusterService clusters,
            ScheduleService schedules, WalArchiveService wal, JobService jobs, Clock clock, WalRetention walRetention) {
        this.walRetention = walRetention;
        this.backups = backups;
        this.retained = retained;
        this.clusters = clusters;
        this.schedules = schedules;
        this.wal = wal;
        this.jobs = jobs;
        this.clock = clock;
    }

    /** Queues a retention run for the cluster (the plan is made again when it runs). */
    @Transactional
    public JobView start(String cluster) {
        clusters.get(cluster);
        return jobs.submit(JobType.RETENTION, cluster, null, null);
    }

    @Transactional(readOnly = true)
    public RetentionPlan plan(String cluster) {
        ClusterView target = clusters.get(cluster);
        Map<UUID, ScheduleRetention> live = schedules.retentionOfSchedules(cluster);
        Set<UUID> awaiting = new HashSet<>(jobs.activeBackupIds(cluster, JobType.VERIFICATION));
        Instant now = clock.instant();

        Map<String, Group> groups = new LinkedHashMap<>();
        for (BackupView b : backups.succeeded(cluster)) {
            String what = b.kind() + (b.database() == null ? "" : " of database " + b.database());
            Group group;
            if (b.retention() == null) {
                group = groups.computeIfAbsent(what, name -> new Group(name, "the policy of cluster '" + cluster + "'",
                        target.retention(), target.timeZone()));
            } else {
                // the first member seen is the group's newest: its recorded policy speaks for the group
                group = groups.computeIfAbsent("schedule " + b.scheduleId() + ": " + what,
                        name -> scheduleGroup(name, b, live.get(b.scheduleId())));
            }
            group.members().add(b);
        }
        List<RetentionPlan.Decision> decisions = new ArrayList<>();
        groups.values().forEach(g -> decisions.addAll(decide(g, awaiting, now)));

        RetentionPlan.WalRemoval walRemoval = walRemoval(cluster, decisions);
        int keep = (int) decisions.stream().filter(RetentionPlan.Decision::keep).count();
        return new RetentionPlan(cluster, now, decisions, walRemoval, keep, decisions.size() - keep);
    }

    /**
     * A schedule's backups of one kind and database: under the schedule's policy now when the schedule
     * still exists, still backs them up and has a policy; otherwise under the policy recorded when they
     * were taken, which nothing but the user's DELETE ...?backups=release|expire takes away.
     */
    private static Group scheduleGroup(String name, BackupView newest, ScheduleRetention schedule) {
        if (schedule != null && schedule.policy() != null && schedule.kind() == newest.kind()
                && Objects.equals(schedule.database(), newest.database())) {
            return new Group(name, "the policy of schedule " + schedule.id(), schedule.policy(), schedule.timeZone());
        }
        String why = schedule == null ? "the schedule is deleted"
                : schedule.policy() == null ? "the schedule has no policy of its own now"
                : "the schedule backs up " + schedule.kind()
                        + (schedule.database() == null ? "" : " of database " + schedule.database()) + " now";
        return new Group(name, "the policy recorded when schedule " + newest.scheduleId() + " took it (" + why + ")",
                newest.retention().policy(), newest.retention().timeZone());
    }

    /** Backups under one policy, newest first, and whose policy it is. */
    private record Group(String name, String policyName, RetentionPolicy policy, String timeZone,
            List<BackupView> members) {

        Group(String name, String policyName, RetentionPolicy policy, String timeZone) {
            this(name, policyName, policy, timeZone == null ? "UTC" : timeZone, new ArrayList<>());
        }
    }

    private static List<RetentionPlan.Decision> decide(Group group, Set<UUID> awaiting, Instant now) {
        List<RetentionRules.Candidate> candidates = group.members().stream()
                .map(b -> new RetentionRules.Candidate(b.id(), b.finishedAt(), b.verificationStatus(), b.pinned(),
                        awaiting.contains(b.id())))
                .toList();
        List<RetentionRules.Verdict> verdicts = RetentionRules.decide(candidates, group.policy(), group.policyName(),
                ZoneId.of(group.timeZone()), now);
        List<RetentionPlan.Decision> decisions = new ArrayList<>();
        for (int i = 0; i < verdicts.size(); i++) {
            BackupView b = group.members().get(i);
            RetentionRules.Verdict v = verdicts.get(i);
            decisions.add(new RetentionPlan.Decision(b.id(), b.kind(), b.database(), b.finishedAt(), b.scheduleId(),
                    group.name(), v.keep(), v.reasons(), group.policyName(), group.policy(), group.timeZone(),
                    b.verificationStatus()));
        }
        return decisions;
    }

    /**
     * WAL before the first segment of the oldest BASE backup that is retained or in use (a queued or running
     * recovery, restore or drill, a live recovered copy); none when there is no such backup.
     */
    private RetentionPlan.WalRemoval walRemoval(String cluster, List<RetentionPlan.Decision> decisions) {
        Set<UUID> kept = new LinkedHashSet<>();
        decisions.stream().filter(RetentionPlan.Decision::keep).forEach(d -> kept.add(d.backupId()));
        BackupView anchor = walRetention.anchor(cluster, kept);
        if (anchor == null) {
            return null;
        }
        long timeline = anchor.timeline();
        for (BackupView b : backups.baseBackups(cluster)) {
            if (kept.contains(b.id())) {
                timeline = Math.min(timeline, b.timeline());
            }
        }
        return new RetentionPlan.WalRemoval(anchor.firstWal(), timeline, anchor.id(),
                wal.countBefore(cluster, timeline, anchor.firstWal()));
    }

    /**
     * Carries a plan out: expires what it says, then removes the WAL before the oldest retained BASE backup.
     * A cancellation (on request, or the job timeout) stops it before the next backup or the WAL: each
     * expiry is its own transaction, so what has expired stays expired and nothing else is touched.
     */
    RetentionPlan.WalRemoval apply(RetentionPlan plan, java.util.function.Consumer<String> log,
            Cancellation cancellation) throws java.io.IOException {
        for (RetentionPlan.Decision d : plan.backups()) {
            if (d.keep()) {
                continue;
            }
            cancellation.throwIfCancelled();
            if (retained.expire(d.backupId(), "expired by retention: " + String.join("; ", d.reasons()))) {
                log.accept("pgvault: expired backup " + d.backupId() + " (" + d.kind()
                        + (d.database() == null ? "" : " " + d.database()) + ", " + d.finishedAt() + "): "
                        + String.join("; ", d.reasons()));
            } else {
                log.accept("pgvault: left backup " + d.backupId() + " alone: it changed since the plan (pinned, "
                        + "deleted, already expired) or a job is using it");
            }
        }
        cancellation.throwIfCancelled();
        // decided again now, under the lock that queuing a recovery takes: what is still in the catalog stays
        WalRetention.Removal removal = walRetention.removeRows(plan.cluster());
        if (removal != null) {
            List<WalArchiveService.Removed> pushedAgain = wal.deleteFiles(removal.files());
            log.accept("pgvault: removed " + (removal.files().size() - pushedAgain.size()) + " archived WAL file(s) "
                    + "before " + removal.anchor().firstWal() + ", the first segment of the oldest BASE backup still "
                    + "needed (" + removal.anchor().id() + ")");
            if (!pushedAgain.isEmpty()) {
                log.accept("pgvault: kept " + pushedAgain.size() + " of them that archive_command pushed again "
                        + "meanwhile (" + pushedAgain.get(0).name() + (pushedAgain.size() > 1 ? ", ..." : "")
                        + "); the next retention run removes them");
            }
        }
        return plan.wal();
    }
}
