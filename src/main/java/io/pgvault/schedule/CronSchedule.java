package io.pgvault.schedule;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.List;
import org.springframework.scheduling.support.CronExpression;

/**
 * A cron expression read on a zone's wall clock, with the rule cron has always applied on the days the clocks
 * change (Vixie cron's). Spring's {@code CronExpression.next(ZonedDateTime)} skips a time that falls into the hour
 * the clocks jump over, and a search that starts in the repeated hour can run a time twice; backups at 02:30 are
 * exactly such times, so this class evaluates the expression on local times and maps each match to instants itself:
 * <ul>
 * <li>A <em>fixed-time</em> schedule (any hour field but a wildcard) runs a local time that the clocks skip once, at
 * the first instant after the gap (the transition); several such times in one gap are that one run. A local time
 * that happens twice runs once, at its first occurrence (the earlier offset).</li>
 * <li>A <em>wildcard-hour</em> schedule runs at every instant whose wall-clock time matches: both passes of a
 * repeated hour, and nothing for skipped times (its next match comes within the hour anyway). The hour field is a
 * wildcard when it starts with {@code *}, that is {@code *} or {@code *}{@code /n}, and for {@code @hourly};
 * {@code 0-23}, {@code 0/2} or a list are fixed. Vixie cron also counts a {@code *} minute as a wildcard; here
 * only the hour decides, so that {@code 0 *}{@code /10 2 * * *} still runs once on the day 02:00 to 03:00 is
 * skipped.</li>
 * </ul>
 */
final class CronSchedule {

    private final CronExpression expression;
    private final ZoneRules rules;
    private final boolean wildcardHour;

    private CronSchedule(CronExpression expression, ZoneId zone) {
        this.expression = expression;
        this.rules = zone.getRules();
        // toString is the expression with macros such as @hourly resolved into six fields
        this.wildcardHour = expression.toString().trim().split("\\s+")[2].startsWith("*");
    }

    /** Parses Spring's six-field syntax (or a macro such as {@code @daily}); throws IllegalArgumentException. */
    static CronSchedule parse(String cron, ZoneId zone) {
        return new CronSchedule(CronExpression.parse(cron), zone);
    }

    boolean wildcardHour() {
        return wildcardHour;
    }

    /** The first run strictly after {@code after}, or null when the expression never matches again. */
    Instant next(Instant after) {
        LocalDateTime candidate = start(after);
        Instant best = null;
        while ((candidate = expression.next(candidate)) != null) {
            // no later local time maps to an instant before this one's earliest
            if (best != null && !earliest(candidate).isBefore(best)) {
                break;
            }
            for (Instant run : runs(candidate)) {
                if (run.isAfter(after) && (best == null || run.isBefore(best))) {
                    best = run;
                }
            }
        }
        return best;
    }

    /**
     * Where the search starts (exclusive). Every local time before {@code after}'s maps to instants before it,
     * except in a repeated hour: while {@code after} is in its first pass, the earlier part of that hour comes
     * around again, so the search starts at the hour's beginning.
     */
    private LocalDateTime start(Instant after) {
        LocalDateTime local = LocalDateTime.ofInstant(after, rules.getOffset(after));
        ZoneOffsetTransition transition = rules.getTransition(local);
        if (transition != null && transition.isOverlap() && after.isBefore(transition.getInstant())) {
            return transition.getDateTimeAfter().minusNanos(1);
        }
        return local;
    }

    private List<Instant> runs(LocalDateTime local) {
        List<ZoneOffset> offsets = rules.getValidOffsets(local);
        if (offsets.size() == 1) {
            return List.of(local.toInstant(offsets.get(0)));
        }
        if (offsets.isEmpty()) {
            return wildcardHour ? List.of() : List.of(rules.getTransition(local).getInstant());
        }
        Instant first = local.toInstant(rules.getTransition(local).getOffsetBefore());
        return wildcardHour ? List.of(first, local.toInstant(rules.getTransition(local).getOffsetAfter()))
                : List.of(first);
    }

    /** A lower bound of the instants of this local time and of every later one. */
    private Instant earliest(LocalDateTime local) {
        List<ZoneOffset> offsets = rules.getValidOffsets(local);
        if (offsets.size() == 1) {
            return local.toInstant(offsets.get(0));
        }
        ZoneOffsetTransition transition = rules.getTransition(local);
        return offsets.isEmpty() ? transition.getInstant() : local.toInstant(transition.getOffsetBefore());
    }
}
