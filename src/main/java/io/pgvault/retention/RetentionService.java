package io.pgvault.retention;

import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupService;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.VerificationStatus;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.RetentionPolicy;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.schedule.ScheduleService;
import io.pgvault.wal.WalArchiveService;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Decides what a cluster keeps. Backups fall into groups: those of a schedule with its own policy, and the
 * others by kind and database under the cluster's policy. In a group every rule of the policy names what
 * it keeps; pinned backups and the group's newest verified one are always kept; the rest expire. A group
 * whose policy has no rule keeps everything. Calendar buckets (daily, weekly, monthly) are UTC days, ISO
 * weeks and months, and count only buckets that hold a backup, newest first.
 */
@Service
public class RetentionService {

    private final BackupService backups;
    private final ClusterService clusters;
    private final ScheduleService schedules;
    private final WalArchiveService wal;
    private final JobService jobs;
    private final Clock clock;
    private final WalRetention walRetention;

    RetentionService(BackupService backups, ClusterService clusters, ScheduleService schedules, WalArchiveService wal,
            JobService jobs, Clock clock, WalRetention walRetention) {
        this.walRetention = walRetention;
        this.backups = backups;
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
        RetentionPolicy clusterPolicy = clusters.get(cluster).retention();
        Map<UUID, RetentionPolicy> schedulePolicies = schedules.retentionPolicies(cluster);
        Instant now = clock.instant();

        Map<String, List<BackupView>> groups = new LinkedHashMap<>();
        Map<String, RetentionPolicy> policies = new LinkedHashMap<>();
        for (BackupView b : backups.succeeded(cluster)) {
            String group;
            RetentionPolicy policy;
            if (b.scheduleId() != null && schedulePolicies.get(b.scheduleId()) != null) {
                group = "schedule " + b.scheduleId();
                policy = schedulePolicies.get(b.scheduleId());
            } else {
                group = b.kind() + (b.database() == null ? "" : " of database " + b.database());
                policy = clusterPolicy;
            }
            groups.computeIfAbsent(group, g -> new ArrayList<>()).add(b);
            policies.put(group, policy);
        }
        List<RetentionPlan.Decision> decisions = new ArrayList<>();
        groups.forEach((group, members) -> decisions.addAll(decide(group, members, policies.get(group), now)));

        RetentionPlan.WalRemoval walRemoval = walRemoval(cluster, decisions);
        int keep = (int) decisions.stream().filter(RetentionPlan.Decision::keep).count();
        return new RetentionPlan(cluster, now, decisions, walRemoval, keep, decisions.size() - keep);
    }

    /** One group, newest first. */
    static List<RetentionPlan.Decision> decide(String group, List<BackupView> newestFirst, RetentionPolicy policy,
            Instant now) {
        Map<UUID, Set<String>> reasons = new LinkedHashMap<>();
        newestFirst.forEach(b -> reasons.put(b.id(), new LinkedHashSet<>()));
        if (policy == null || policy.keepsEverything()) {
            newestFirst.forEach(b -> reasons.get(b.id()).add("no retention policy: everything is kept"));
        } else {
            if (policy.keepLast() != null) {
                newestFirst.stream().limit(policy.keepLast())
                        .forEach(b -> reasons.get(b.id()).add("one of the last " + policy.keepLast()));
            }
            if (policy.keepDays() != null) {
                Instant cutoff = now.minusSeconds(policy.keepDays() * 86_400L);
                newestFirst.stream().filter(b -> b.finishedAt().isAfter(cutoff))
                        .forEach(b -> reasons.get(b.id()).add("younger than " + policy.keepDays() + " day(s)"));
            }
            bucket(newestFirst, policy.daily(), b -> day(b).toString(), "daily", reasons);
            bucket(newestFirst, policy.weekly(), b -> {
                LocalDate d = day(b);
                return String.format("%d-W%02d", d.get(IsoFields.WEEK_BASED_YEAR), d.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
            }, "weekly", reasons);
            bucket(newestFirst, policy.monthly(), b -> YearMonth.from(day(b)).toString(), "monthly", reasons);
        }
        newestFirst.stream().filter(BackupView::pinned).forEach(b -> reasons.get(b.id()).add("pinned"));
        newestFirst.stream().filter(b -> b.verificationStatus() == VerificationStatus.PASSED).findFirst()
                .ifPresent(b -> reasons.get(b.id()).add("the newest verified backup of its group"));

        List<RetentionPlan.Decision> decisions = new ArrayList<>();
        for (BackupView b : newestFirst) {
            Set<String> why = reasons.get(b.id());
            boolean keep = !why.isEmpty();
            List<String> said = keep ? List.copyOf(why) : List.of("kept by no rule of " + describe(policy));
            decisions.add(new RetentionPlan.Decision(b.id(), b.kind(), b.database(), b.finishedAt(), b.scheduleId(),
                    group, keep, said));
        }
        return decisions;
    }

    /** Keeps the newest backup of each of the newest {@code count} buckets that hold one. */
    private static void bucket(List<BackupView> newestFirst, Integer count, Function<BackupView, String> key,
            String rule, Map<UUID, Set<String>> reasons) {
        if (count == null) {
            return;
        }
        Set<String> seen = new LinkedHashSet<>();
        for (BackupView b : newestFirst) {
            String bucket = key.apply(b);
            if (seen.contains(bucket)) {
                continue;
            }
            if (seen.size() == count) {
                return;
            }
            seen.add(bucket);
            reasons.get(b.id()).add("newest of " + bucket + " (" + rule + " " + count + ")");
        }
    }

    private static LocalDate day(BackupView b) {
        return b.finishedAt().atZone(ZoneOffset.UTC).toLocalDate();
    }

    private static String describe(RetentionPolicy p) {
        List<String> rules = new ArrayList<>();
        if (p.keepLast() != null) {
            rules.add("keepLast " + p.keepLast());
        }
        if (p.keepDays() != null) {
            rules.add("keepDays " + p.keepDays());
        }
        if (p.daily() != null) {
            rules.add("daily " + p.daily());
        }
        if (p.weekly() != null) {
            rules.add("weekly " + p.weekly());
        }
        if (p.monthly() != null) {
            rules.add("monthly " + p.monthly());
        }
        return "its group's policy (" + String.join(", ", rules) + ")";
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

    /** Carries a plan out: expires what it says, then removes the WAL before the oldest retained BASE backup. */
    RetentionPlan.WalRemoval apply(RetentionPlan plan, java.util.function.Consumer<String> log) throws java.io.IOException {
        for (RetentionPlan.Decision d : plan.backups()) {
            if (d.keep()) {
                continue;
            }
            if (backups.expire(d.backupId(), "expired by retention: " + String.join("; ", d.reasons()))) {
                log.accept("pgvault: expired backup " + d.backupId() + " (" + d.kind()
                        + (d.database() == null ? "" : " " + d.database()) + ", " + d.finishedAt() + "): "
                        + String.join("; ", d.reasons()));
            } else {
                log.accept("pgvault: left backup " + d.backupId() + " alone: it changed since the plan (pinned, "
                        + "deleted, already expired) or a job is using it");
            }
        }
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
