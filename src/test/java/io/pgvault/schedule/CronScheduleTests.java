package io.pgvault.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.scheduling.support.CronExpression;

/**
 * Cron on the days the clocks change: a fixed time in the skipped hour runs once at the transition, one in the
 * repeated hour once at its first occurrence; wildcard hours run every matching instant. In Europe/Berlin the
 * clocks skip 02:00 to 03:00 on 2026-03-29 and repeat 02:00 to 03:00 on 2026-10-25; in America/New_York they
 * skip 02:00 to 03:00 on 2026-03-08 and repeat 01:00 to 02:00 on 2026-11-01.
 */
class CronScheduleTests {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
    static final String DAILY = "0 30 2 * * *";
    static final String WEEKLY = "0 0 2 * * SUN";

    private static Instant at(String instant) {
        return Instant.parse(instant);
    }

    /** Every run in [from, to), walking next() from just before {@code from}. */
    private static List<Instant> runs(String cron, ZoneId zone, Instant from, Instant to) {
        CronSchedule schedule = CronSchedule.parse(cron, zone);
        List<Instant> runs = new ArrayList<>();
        Instant run = schedule.next(from.minusNanos(1));
        while (run != null && run.isBefore(to)) {
            assertThat(runs).as("strictly later than the previous run").allMatch(run::isAfter);
            runs.add(run);
            run = schedule.next(run);
        }
        return runs;
    }

    /** The runs whose local date is {@code day}. */
    private static List<Instant> runsOn(String cron, ZoneId zone, LocalDate day) {
        return runs(cron, zone, day.atStartOfDay(zone).toInstant(), day.plusDays(1).atStartOfDay(zone).toInstant());
    }

    @Test
    void aDailyTimeInTheSkippedHourRunsOnceAtTheTransition() {
        CronSchedule berlin = CronSchedule.parse(DAILY, BERLIN);
        assertThat(berlin.next(at("2026-03-28T12:00:00Z"))).isEqualTo(at("2026-03-29T01:00:00Z")); // 03:00 CEST
        assertThat(berlin.next(at("2026-03-29T01:00:00Z"))).isEqualTo(at("2026-03-30T00:30:00Z")); // 02:30 CEST
        assertThat(runsOn(DAILY, BERLIN, LocalDate.parse("2026-03-29"))).containsExactly(at("2026-03-29T01:00:00Z"));

        CronSchedule newYork = CronSchedule.parse(DAILY, NEW_YORK);
        assertThat(newYork.next(at("2026-03-07T12:00:00Z"))).isEqualTo(at("2026-03-08T07:00:00Z")); // 03:00 EDT
        assertThat(newYork.next(at("2026-03-08T07:00:00Z"))).isEqualTo(at("2026-03-09T06:30:00Z")); // 02:30 EDT
    }

    @Test
    void aWeeklyTimeInTheSkippedHourKeepsItsWeek() {
        assertThat(runs(WEEKLY, BERLIN, at("2026-03-15T00:00:00Z"), at("2026-04-06T00:00:00Z"))).containsExactly(
                at("2026-03-15T01:00:00Z"), at("2026-03-22T01:00:00Z"),
                at("2026-03-29T01:00:00Z"), // 03:00 CEST: the first instant after the gap
                at("2026-04-05T00:00:00Z"));
        assertThat(runs(WEEKLY, NEW_YORK, at("2026-03-01T00:00:00Z"), at("2026-03-16T00:00:00Z"))).containsExactly(
                at("2026-03-01T07:00:00Z"), at("2026-03-08T07:00:00Z"), at("2026-03-15T06:00:00Z"));
    }

    @Test
    void aFixedDateOnADaylightSavingDayIsNotPostponedByAYear() {
        // 2027-03-28 is the last Sunday of March: 02:30 does not exist in Berlin that day
        assertThat(CronSchedule.parse("0 30 2 28 3 *", BERLIN).next(at("2026-12-01T00:00:00Z")))
                .isEqualTo(at("2027-03-28T01:00:00Z"));
        assertThat(CronSchedule.parse("0 30 2 28 3 *", BERLIN).next(at("2027-03-28T01:00:00Z")))
                .isEqualTo(at("2028-03-28T00:30:00Z"));
    }

    @Test
    void severalTimesInOneSkippedHourAreOneRun() {
        assertThat(runsOn("0 */10 2 * * *", BERLIN, LocalDate.parse("2026-03-29")))
                .containsExactly(at("2026-03-29T01:00:00Z"));
        assertThat(runsOn("0 */10 2 * * *", BERLIN, LocalDate.parse("2026-03-30"))).hasSize(6);
        assertThat(runsOn("0 */10 2 * * *", NEW_YORK, LocalDate.parse("2026-03-08")))
                .containsExactly(at("2026-03-08T07:00:00Z"));
    }

    @Test
    void aDailyTimeInTheRepeatedHourRunsOnceAtItsFirstOccurrence() {
        CronSchedule berlin = CronSchedule.parse(DAILY, BERLIN);
        assertThat(berlin.next(at("2026-10-24T12:00:00Z"))).isEqualTo(at("2026-10-25T00:30:00Z")); // 02:30 CEST
        // after that run, the second 02:30 (CET, 01:30Z) is not a run: the next one is tomorrow's
        assertThat(berlin.next(at("2026-10-25T00:30:00Z"))).isEqualTo(at("2026-10-26T01:30:00Z"));
        assertThat(berlin.next(at("2026-10-25T00:30:00.200Z"))).isEqualTo(at("2026-10-26T01:30:00Z"));
        // asked from inside the repeated hour, before, between and after its two passes
        assertThat(berlin.next(at("2026-10-25T00:10:00Z"))).isEqualTo(at("2026-10-25T00:30:00Z"));
        assertThat(berlin.next(at("2026-10-25T01:10:00Z"))).isEqualTo(at("2026-10-26T01:30:00Z"));
        assertThat(berlin.next(at("2026-10-25T01:40:00Z"))).isEqualTo(at("2026-10-26T01:30:00Z"));
        assertThat(runsOn(DAILY, BERLIN, LocalDate.parse("2026-10-25"))).containsExactly(at("2026-10-25T00:30:00Z"));

        // New York repeats 01:00 to 02:00: 01:30 runs once, 02:30 is an ordinary time
        assertThat(runsOn("0 30 1 * * *", NEW_YORK, LocalDate.parse("2026-11-01")))
                .containsExactly(at("2026-11-01T05:30:00Z")); // 01:30 EDT
        assertThat(runsOn(DAILY, NEW_YORK, LocalDate.parse("2026-11-01"))).containsExactly(at("2026-11-01T07:30:00Z"));
    }

    @Test
    void aWeeklyTimeInTheRepeatedHourRunsOnce() {
        assertThat(runs(WEEKLY, BERLIN, at("2026-10-18T00:00:00Z"), at("2026-11-02T00:00:00Z"))).containsExactly(
                at("2026-10-18T00:00:00Z"), at("2026-10-25T00:00:00Z"), at("2026-11-01T01:00:00Z"));
        assertThat(runs("0 0 1 * * SUN", NEW_YORK, at("2026-10-25T00:00:00Z"), at("2026-11-09T00:00:00Z")))
                .containsExactly(at("2026-10-25T05:00:00Z"), at("2026-11-01T05:00:00Z"), at("2026-11-08T06:00:00Z"));
    }

    @Test
    void wildcardHoursRunEveryMatchingInstant() {
        LocalDate fallBack = LocalDate.parse("2026-10-25");
        List<Instant> hourly = runsOn("0 0 * * * *", BERLIN, fallBack);
        assertThat(hourly).hasSize(25).contains(at("2026-10-25T00:00:00Z"), at("2026-10-25T01:00:00Z"));
        assertThat(hourly.stream().filter(r -> r.atZone(BERLIN).getHour() == 2)).hasSize(2);
        assertThat(runsOn("@hourly", BERLIN, fallBack)).isEqualTo(hourly);
        assertThat(runsOn("0 0 */2 * * *", BERLIN, fallBack)).hasSize(13);
        assertThat(runsOn("0 15 * * * *", NEW_YORK, LocalDate.parse("2026-11-01"))).hasSize(25);

        LocalDate springForward = LocalDate.parse("2026-03-29");
        assertThat(runsOn("0 0 * * * *", BERLIN, springForward)).hasSize(23);
        assertThat(runsOn("0 30 * * * *", BERLIN, springForward)).hasSize(23)
                .noneMatch(r -> r.atZone(BERLIN).getHour() == 2)
                .contains(at("2026-03-29T00:30:00Z"), at("2026-03-29T01:30:00Z")); // 01:30 CET, 03:30 CEST
        assertThat(runsOn("0 0 */2 * * *", BERLIN, springForward)).hasSize(11);
    }

    @Test
    void onlyAHourFieldThatStartsWithAStarIsAWildcard() {
        assertThat(CronSchedule.parse("0 0 * * * *", BERLIN).wildcardHour()).isTrue();
        assertThat(CronSchedule.parse("0 0 */3 * * *", BERLIN).wildcardHour()).isTrue();
        assertThat(CronSchedule.parse("@hourly", BERLIN).wildcardHour()).isTrue();
        assertThat(CronSchedule.parse(" @HOURLY ", BERLIN).wildcardHour()).isTrue();
        assertThat(CronSchedule.parse("* * 2 * * *", BERLIN).wildcardHour()).isFalse();
        assertThat(CronSchedule.parse("0 0 0-23 * * *", BERLIN).wildcardHour()).isFalse();
        assertThat(CronSchedule.parse("0 0 0/2 * * *", BERLIN).wildcardHour()).isFalse();
        assertThat(CronSchedule.parse("0 0 1,2,3 * * *", BERLIN).wildcardHour()).isFalse();
        assertThat(CronSchedule.parse("@daily", BERLIN).wildcardHour()).isFalse();
        // every hour, but fixed: the repeated 02:00 runs once, the skipped one at 03:00 together with 03:00
        assertThat(runsOn("0 0 0-23 * * *", BERLIN, LocalDate.parse("2026-10-25"))).hasSize(24);
        assertThat(runsOn("0 0 0-23 * * *", BERLIN, LocalDate.parse("2026-03-29"))).hasSize(23);
        assertThatThrownBy(() -> CronSchedule.parse("0 0 2 * *", BERLIN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aWholeYearOfDailyRunsHasExactlyOneRunPerLocalDate() {
        Map<ZoneId, List<String>> crons = Map.of(
                BERLIN, List.of(DAILY, "0 0 2 * * *", "0 59 2 * * *", "0 0 3 * * *", "0 0 0 * * *"),
                NEW_YORK, List.of(DAILY, "0 30 1 * * *", "0 0 1 * * *", "0 0 2 * * *"),
                // a 30-minute shift, and zones whose clocks change at midnight
                ZoneId.of("Australia/Lord_Howe"), List.of("0 45 1 * * *", "0 15 2 * * *"),
                ZoneId.of("America/Santiago"), List.of("0 0 0 * * *", "0 30 23 * * *"),
                ZoneId.of("UTC"), List.of(DAILY));
        crons.forEach((zone, list) -> list.forEach(cron -> {
            LocalDate first = LocalDate.parse("2026-01-01");
            LocalDate last = LocalDate.parse("2026-12-31");
            List<Instant> year = runs(cron, zone, first.atStartOfDay(zone).toInstant(),
                    last.plusDays(1).atStartOfDay(zone).toInstant());
            List<LocalDate> days = year.stream().map(r -> r.atZone(zone).toLocalDate()).toList();
            assertThat(days).as("%s in %s", cron, zone).hasSize(365).doesNotHaveDuplicates()
                    .startsWith(first).endsWith(last);
        }));
    }

    @Test
    void ordinaryDaysAndUtcAreWhatSpringComputes() {
        List<String> crons = List.of(DAILY, WEEKLY, "0 0 * * * *", "*/7 * * * * *", "0 */10 2 * * *",
                "0 0 0 1 1 *", "0 15 10 ? * MON-FRI", "@monthly");
        for (String cron : crons) {
            CronExpression spring = CronExpression.parse(cron);
            for (ZoneId zone : List.of(ZoneId.of("UTC"), ZoneOffset.ofHours(5), BERLIN, NEW_YORK)) {
                CronSchedule schedule = CronSchedule.parse(cron, zone);
                // in UTC every day of the year, elsewhere days far from a change of the clocks
                Instant from = zone.getRules().isFixedOffset() ? at("2026-01-01T00:00:00Z") : at("2026-06-01T00:00:00Z");
                Instant after = from;
                while (after.isBefore(from.plus(Duration.ofDays(zone.getRules().isFixedOffset() ? 366 : 60)))) {
                    assertThat(schedule.next(after)).as("%s in %s after %s", cron, zone, after)
                            .isEqualTo(spring.next(after.atZone(zone)).toInstant());
                    after = after.plus(Duration.ofMinutes(97)).plusSeconds(13).plusMillis(3);
                }
            }
        }
    }

    @Test
    void nextIsTheFirstRunAfterAnyInstantAroundTheChanges() {
        List<String> crons = List.of(DAILY, "0 */10 2 * * *", "0 0 * * * *", "0 */20 * * * *", "0 0 0-23 * * *",
                "0 30 1 * * *", "0 0 2 * * SUN");
        for (ZoneId zone : List.of(BERLIN, NEW_YORK)) {
            for (Instant change : List.of(at("2026-03-08T07:00:00Z"), at("2026-03-29T01:00:00Z"),
                    at("2026-10-25T01:00:00Z"), at("2026-11-01T06:00:00Z"))) {
                Instant from = change.minus(Duration.ofDays(2));
                Instant to = change.plus(Duration.ofDays(20));
                for (String cron : crons) {
                    TreeSet<Instant> expected = everyRun(cron, zone, from.minus(Duration.ofDays(1)), to);
                    CronSchedule schedule = CronSchedule.parse(cron, zone);
                    for (Instant after = from; after.isBefore(change.plus(Duration.ofDays(2)));
                            after = after.plus(Duration.ofMinutes(7)).plusSeconds(11)) {
                        assertThat(schedule.next(after)).as("%s in %s after %s", cron, zone, after)
                                .isEqualTo(expected.higher(after));
                        Instant exact = expected.higher(after);
                        assertThat(schedule.next(exact)).as("%s in %s after %s", cron, zone, exact)
                                .isEqualTo(expected.higher(exact));
                    }
                }
            }
        }
    }

    /** The rule stated plainly, by brute force over every second's local time: the oracle for next(). */
    private static TreeSet<Instant> everyRun(String cron, ZoneId zone, Instant from, Instant to) {
        CronExpression expression = CronExpression.parse(cron);
        boolean wildcard = CronSchedule.parse(cron, zone).wildcardHour();
        TreeMap<LocalDateTime, Boolean> matches = new TreeMap<>();
        LocalDateTime local = LocalDateTime.ofInstant(from, ZoneOffset.UTC).minusDays(1);
        LocalDateTime end = LocalDateTime.ofInstant(to, ZoneOffset.UTC).plusDays(1);
        while ((local = expression.next(local)) != null && local.isBefore(end)) {
            matches.put(local, true);
        }
        TreeSet<Instant> runs = new TreeSet<>();
        for (LocalDateTime match : matches.keySet()) {
            List<ZoneOffset> offsets = zone.getRules().getValidOffsets(match);
            if (offsets.isEmpty()) {
                if (!wildcard) {
                    // the first valid instant after the gap
                    runs.add(ZonedDateTime.ofLocal(match, zone, null).withMinute(0).withSecond(0).toInstant());
                }
            } else if (wildcard) {
                offsets.forEach(offset -> runs.add(match.toInstant(offset)));
            } else {
                runs.add(ZonedDateTime.ofLocal(match, zone, null).withEarlierOffsetAtOverlap().toInstant());
            }
        }
        return runs;
    }
}
