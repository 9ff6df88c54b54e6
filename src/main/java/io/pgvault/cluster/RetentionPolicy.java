package io.pgvault.cluster;

import io.pgvault.api.InvalidRequestException;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * What a cluster or schedule keeps: the last {@code keepLast}, everything younger than {@code keepDays}
 * days, and grandfather-father-son: the newest backup of each of the last {@code daily} days,
 * {@code weekly} ISO weeks and {@code monthly} months. A backup kept by any rule stays. No rule at all
 * keeps everything.
 */
@Schema(description = "What retention keeps: the last keepLast backups, those younger than keepDays "
        + "days, and the newest of each of the last daily days, weekly ISO weeks and "
        + "monthly months. A backup kept by any rule stays; no rule at all keeps "
        + "everything. Each number is 1 to 100000.")
public record RetentionPolicy(
        @Schema(description = "keep the newest this many backups")
        Integer keepLast,
        @Schema(description = "keep every backup younger than this many days")
        Integer keepDays,
        @Schema(description = "keep the newest backup of each of the last this many days")
        Integer daily,
        @Schema(description = "keep the newest backup of each of the last this many ISO weeks")
        Integer weekly,
        @Schema(description = "keep the newest backup of each of the last this many months")
        Integer monthly) {

    private static final int MAX = 100_000;

    /** Refuses negative, zero and absurd counts. */
    public RetentionPolicy validated() {
        check("keepLast", keepLast);
        check("keepDays", keepDays);
        check("daily", daily);
        check("weekly", weekly);
        check("monthly", monthly);
        return this;
    }

    /** The rules in words, e.g. "keepLast 5, daily 7"; "no rule: keeps everything" for none (or null). */
    public static String describe(RetentionPolicy p) {
        if (p == null || p.keepsEverything()) {
            return "no rule: keeps everything";
        }
        java.util.List<String> rules = new java.util.ArrayList<>();
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
        return String.join(", ", rules);
    }

    public boolean keepsEverything() {
        return keepLast == null && keepDays == null && daily == null && weekly == null && monthly == null;
    }

    private static void check(String field, Integer value) {
        if (value != null && (value < 1 || value > MAX)) {
            throw new InvalidRequestException("retention." + field, "retention." + field + " must be from 1 to " + MAX
                    + " (leave it out to not use that rule)");
        }
    }
}
