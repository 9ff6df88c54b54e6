package io.pgvault.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.backup.VerificationStatus;
import io.pgvault.cluster.RetentionPolicy;
import io.pgvault.retention.RetentionRules.Candidate;
import io.pgvault.retention.RetentionRules.Verdict;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The rules of one group on an injected "now": verified backups first in every bucket and in keepLast,
 * calendar buckets in the group's time zone, and backups awaiting their verdict kept aside.
 */
class RetentionRulesTests {

    static final ZoneId UTC = ZoneId.of("UTC");
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

    @Test
    void aDailyBucketKeepsItsVerifiedBackupNotTheNewerOneThatFailedVerification() {
        // the review's case: daily 2, a day with a verified 08:00 and a FAILED 10:00 backup
        Candidate failed = candidate("2026-11-29T10:00:00Z", VerificationStatus.FAILED);
        Candidate verified = candidate("2026-11-29T08:00:00Z", VerificationStatus.PASSED);
        Candidate dayBefore = candidate("2026-11-28T08:00:00Z", VerificationStatus.PASSED);
        Candidate older = candidate("2026-11-27T08:00:00Z", VerificationStatus.PASSED);
        List<Verdict> verdicts = decide(policy(null, 2, null, null), UTC, failed, verified, dayBefore, older);

        assertThat(kept(verdicts)).containsExactly(verified.id(), dayBefore.id());
        assertThat(reasons(verdicts, verified)).contains("newest verified of 2026-11-29 (daily 2)",
                "the newest verified backup of its group");
        assertThat(reasons(verdicts, failed)).anySatisfy(r -> assertThat(r)
                .contains("the daily rule keeps " + verified.id() + " for 2026-11-29"));
        assertThat(reasons(verdicts, older)).anySatisfy(r -> assertThat(r)
                .contains("its day 2026-11-27 is older than the 2 newest that hold a backup"));
    }

    @Test
    void weeklyAndMonthlyBucketsPreferVerifiedAndFallBackToTheNewestNotFailed() {
        Candidate failed = candidate("2026-11-30T10:00:00Z", VerificationStatus.FAILED);
        Candidate unverified = candidate("2026-11-30T09:00:00Z", VerificationStatus.UNVERIFIED);
        Candidate verifiedEarlierInWeek = candidate("2026-11-24T09:00:00Z", VerificationStatus.PASSED);
        // week 2026-W49 (Nov 30) holds no verified backup: the unverified one beats the failed one
        List<Verdict> weekly = decide(policy(null, null, 2, null), UTC, failed, unverified, verifiedEarlierInWeek);
        assertThat(kept(weekly)).containsExactly(unverified.id(), verifiedEarlierInWeek.id());
        assertThat(reasons(weekly, unverified)).contains("newest not failed of 2026-W49 (weekly 2)");

        Candidate onlyFailed = candidate("2026-10-10T10:00:00Z", VerificationStatus.FAILED);
        List<Verdict> monthly = decide(policy(null, null, null, 2), UTC, failed, unverified, onlyFailed);
        assertThat(kept(monthly)).as("a month whose only backup failed still keeps it: it is all there is")
                .containsExactly(unverified.id(), onlyFailed.id());
    }

    @Test
    void keepLastCountsVerifiedBackupsFirst() {
        Candidate failed = candidate("2026-11-30T10:00:00Z", VerificationStatus.FAILED);
        Candidate unverified = candidate("2026-11-30T09:00:00Z", VerificationStatus.UNVERIFIED);
        Candidate verified = candidate("2026-11-29T09:00:00Z", VerificationStatus.PASSED);
        Candidate olderVerified = candidate("2026-11-28T09:00:00Z", VerificationStatus.PASSED);

        List<Verdict> two = decide(policy(2, null, null, null), UTC, failed, unverified, verified, olderVerified);
        assertThat(kept(two)).containsExactly(verified.id(), olderVerified.id());
        assertThat(reasons(two, verified)).contains("one of the last 2 verified");
        assertThat(reasons(two, failed).get(0)).contains("kept by no rule of the test policy (keepLast 2)");
        assertThat(reasons(two, failed)).contains("not one of the last 2 (verified backups first)");

        // fewer verified than places: the newest of the rest fill them, unverified before failed
        List<Verdict> three = decide(policy(3, null, null, null), UTC, failed, unverified, verified, olderVerified);
        assertThat(kept(three)).containsExactly(unverified.id(), verified.id(), olderVerified.id());
        assertThat(reasons(three, unverified)).contains("one of the last 3 (fewer than 3 passed verification)");
    }

    @Test
    void aBackupAwaitingItsVerificationIsKeptAndTakesNoPlace() {
        Candidate awaiting = new Candidate(UUID.randomUUID(), Instant.parse("2026-11-30T11:00:00Z"),
                VerificationStatus.UNVERIFIED, false, true);
        Candidate verified = candidate("2026-11-29T09:00:00Z", VerificationStatus.PASSED);
        Candidate older = candidate("2026-11-28T09:00:00Z", VerificationStatus.PASSED);
        List<Verdict> verdicts = decide(policy(1, null, null, null), UTC, awaiting, verified, older);
        assertThat(kept(verdicts)).containsExactly(awaiting.id(), verified.id());
        assertThat(reasons(verdicts, awaiting)).hasSize(1);
        assertThat(reasons(verdicts, awaiting).get(0)).contains("verification is queued or running");
    }

    @Test
    void daysBeginInTheGroupsTimeZone() {
        // a 00:30 Berlin schedule runs at 23:30 UTC the evening before: in UTC days its backups of Nov 29
        // and of Nov 30 share one day, and a backup taken on the evening of Nov 29 in Berlin joins the wrong one
        Candidate mon = candidate("2026-11-29T23:30:00Z", VerificationStatus.PASSED); // 00:30 Nov 30 Berlin
        Candidate sun = candidate("2026-11-28T23:30:00Z", VerificationStatus.PASSED); // 00:30 Nov 29 Berlin
        Candidate sat = candidate("2026-11-27T23:30:00Z", VerificationStatus.PASSED); // 00:30 Nov 28 Berlin
        Candidate sunEvening = candidate("2026-11-29T20:00:00Z", VerificationStatus.PASSED); // 21:00 Nov 29 Berlin

        List<Verdict> berlin = decide(policy(null, 3, null, null), BERLIN, mon, sunEvening, sun, sat);
        assertThat(kept(berlin)).as("Nov 30, 29, 28 in Berlin").containsExactly(mon.id(), sunEvening.id(), sat.id());
        assertThat(reasons(berlin, mon)).contains("newest of 2026-11-30 (daily 3)");

        List<Verdict> utc = decide(policy(null, 3, null, null), UTC, mon, sunEvening, sun, sat);
        assertThat(kept(utc)).as("Nov 29, 28, 27 in UTC").containsExactly(mon.id(), sun.id(), sat.id());

        // a month boundary: 23:30 UTC on Oct 31 is November in Berlin
        Candidate novInBerlin = candidate("2026-10-31T23:30:00Z", VerificationStatus.PASSED);
        Candidate oct = candidate("2026-10-30T10:00:00Z", VerificationStatus.PASSED);
        assertThat(reasons(decide(policy(null, null, null, 2), BERLIN, mon, novInBerlin, oct), novInBerlin))
                .doesNotContain("newest of 2026-10 (monthly 2)");
        assertThat(kept(decide(policy(null, null, null, 2), BERLIN, mon, novInBerlin, oct)))
                .containsExactly(mon.id(), oct.id());
    }

    @Test
    void keepDaysCountsFromTheInjectedNow() {
        Candidate young = candidate("2026-11-28T12:00:01Z", VerificationStatus.FAILED);
        Candidate old = candidate("2026-11-27T11:59:59Z", VerificationStatus.PASSED);
        List<Verdict> verdicts = decide(new RetentionPolicy(null, 3, null, null, null), UTC, young, old);
        assertThat(reasons(verdicts, young)).contains("younger than 3 day(s)");
        assertThat(reasons(verdicts, old)).containsExactly("the newest verified backup of its group");
    }

    private static List<Verdict> decide(RetentionPolicy policy, ZoneId zone, Candidate... newestFirst) {
        return RetentionRules.decide(Arrays.asList(newestFirst), policy, "the test policy", zone, NOW);
    }

    private static RetentionPolicy policy(Integer keepLast, Integer daily, Integer weekly, Integer monthly) {
        return new RetentionPolicy(keepLast, null, daily, weekly, monthly);
    }

    private static Candidate candidate(String finishedAt, VerificationStatus verification) {
        return new Candidate(UUID.randomUUID(), Instant.parse(finishedAt), verification, false, false);
    }

    private static List<UUID> kept(List<Verdict> verdicts) {
        List<UUID> kept = new ArrayList<>();
        verdicts.stream().filter(Verdict::keep).forEach(v -> kept.add(v.id()));
        return kept;
    }

    private static List<String> reasons(List<Verdict> verdicts, Candidate c) {
        return verdicts.stream().filter(v -> v.id().equals(c.id())).findFirst().orElseThrow().reasons();
    }
}
