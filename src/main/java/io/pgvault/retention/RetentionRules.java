package io.pgvault.retention;

import io.pgvault.backup.VerificationStatus;
import io.pgvault.cluster.RetentionPolicy;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * What one group keeps under its policy; pure, so that time is whatever {@code now} the caller passes.
 * Verified backups come first: {@code keepLast} fills its places with the newest backups that passed
 * verification before any other, and each daily, weekly or monthly bucket keeps its newest verified
 * backup, falling back to the newest unverified and only then to the newest that failed. A backup whose
 * verification is queued or running is kept and counts for no rule until it has a verdict. Days, ISO weeks
 * and months begin in the group's time zone; buckets count only when they hold a backup, newest first.
 */
final class RetentionRules {

    /** What the rules look at of one backup. */
    record Candidate(UUID id, Instant finishedAt, VerificationStatus verification, boolean pinned,
            boolean awaitingVerification) {
    }

    /** Kept or not, with every rule that keeps it or, when it goes, why no rule does. */
    record Verdict(UUID id, boolean keep, List<String> reasons) {
    }

    private RetentionRules() {
    }

    /** One group, newest first; {@code policyName} says whose policy it is, for the reasons. */
    static List<Verdict> decide(List<Candidate> newestFirst, RetentionPolicy policy, String policyName, ZoneId zone,
            Instant now) {
        Map<UUID, Set<String>> reasons = new LinkedHashMap<>();
        Map<UUID, List<String>> notes = new LinkedHashMap<>();
        newestFirst.forEach(c -> {
            reasons.put(c.id(), new LinkedHashSet<>());
            notes.put(c.id(), new ArrayList<>());
        });
        List<Candidate> judged = newestFirst.stream().filter(c -> !c.awaitingVerification()).toList();
        if (policy == null || policy.keepsEverything()) {
            newestFirst.forEach(c -> reasons.get(c.id()).add("no retention policy: everything is kept"));
        } else {
            if (policy.keepLast() != null) {
                int n = policy.keepLast();
                List<Candidate> last = judged.stream().sorted(Comparator.comparingInt(RetentionRules::rank)).limit(n)
                        .toList();
                last.forEach(c -> reasons.get(c.id()).add(c.verification() == VerificationStatus.PASSED
                        ? "one of the last " + n + " verified"
                        : "one of the last " + n + " (fewer than " + n + " passed verification)"));
                judged.stream().filter(c -> !last.contains(c)).forEach(c -> notes.get(c.id())
                        .add("not one of the last " + n + " (verified backups first)"));
            }
            if (policy.keepDays() != null) {
                Instant cutoff = now.minusSeconds(policy.keepDays() * 86_400L);
                for (Candidate c : judged) {
                    if (c.finishedAt().isAfter(cutoff)) {
                        reasons.get(c.id()).add("younger than " + policy.keepDays() + " day(s)");
                    } else {
                        notes.get(c.id()).add("older than " + policy.keepDays() + " day(s)");
                    }
                }
            }
            bucket(judged, policy.daily(), c -> day(c, zone).toString(), "daily", "day", reasons, notes);
            bucket(judged, policy.weekly(), c -> {
                LocalDate d = day(c, zone);
                return String.format("%d-W%02d", d.get(IsoFields.WEEK_BASED_YEAR),
                        d.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
            }, "weekly", "week", reasons, notes);
            bucket(judged, policy.monthly(), c -> YearMonth.from(day(c, zone)).toString(), "monthly", "month", reasons,
                    notes);
        }
        newestFirst.stream().filter(Candidate::pinned).forEach(c -> reasons.get(c.id()).add("pinned"));
        newestFirst.stream().filter(c -> c.verification() == VerificationStatus.PASSED).findFirst()
                .ifPresent(c -> reasons.get(c.id()).add("the newest verified backup of its group"));
        newestFirst.stream().filter(Candidate::awaitingVerification).forEach(c -> reasons.get(c.id())
                .add("its verification is queued or running: the rules judge it once it has a verdict"));

        List<Verdict> verdicts = new ArrayList<>();
        for (Candidate c : newestFirst) {
            Set<String> why = reasons.get(c.id());
            if (!why.isEmpty()) {
                verdicts.add(new Verdict(c.id(), true, List.copyOf(why)));
            } else {
                List<String> said = new ArrayList<>();
                said.add("kept by no rule of " + policyName + " (" + RetentionPolicy.describe(policy) + ")");
                said.addAll(notes.get(c.id()));
                verdicts.add(new Verdict(c.id(), false, said));
            }
        }
        return verdicts;
    }

    /** Keeps the best backup (verified first, then newest) of each of the newest {@code count} buckets. */
    private static void bucket(List<Candidate> newestFirst, Integer count, Function<Candidate, String> key, String rule,
            String unit, Map<UUID, Set<String>> reasons, Map<UUID, List<String>> notes) {
        if (count == null) {
            return;
        }
        Map<String, List<Candidate>> buckets = new LinkedHashMap<>();
        newestFirst.forEach(c -> buckets.computeIfAbsent(key.apply(c), k -> new ArrayList<>()).add(c));
        int seen = 0;
        for (Map.Entry<String, List<Candidate>> bucket : buckets.entrySet()) {
            List<Candidate> members = bucket.getValue();
            if (seen++ >= count) {
                members.forEach(c -> notes.get(c.id()).add("its " + unit + " " + bucket.getKey() + " is older than the "
                        + count + " newest that hold a backup (" + rule + " " + count + ")"));
                continue;
            }
            Candidate best = members.stream().min(Comparator.comparingInt(RetentionRules::rank)).orElseThrow();
            String label = " of " + bucket.getKey() + " (" + rule + " " + count + ")";
            reasons.get(best.id()).add(best == members.get(0) ? "newest" + label
                    : best.verification() == VerificationStatus.PASSED ? "newest verified" + label
                    : "newest not failed" + label);
            members.stream().filter(c -> c != best).forEach(c -> notes.get(c.id()).add("the " + rule + " rule keeps "
                    + best.id() + " for " + bucket.getKey() + " (verified first, then newest)"));
        }
    }

    /** Passed verification, not verified (yet), failed: the order in which backups are worth keeping. */
    private static int rank(Candidate c) {
        return switch (c.verification()) {
            case PASSED -> 0;
            case UNVERIFIED -> 1;
            case FAILED -> 2;
        };
    }

    private static LocalDate day(Candidate c, ZoneId zone) {
        return c.finishedAt().atZone(zone).toLocalDate();
    }
}
