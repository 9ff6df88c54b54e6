package io.pgvault.cluster;

import io.pgvault.api.InvalidRequestException;

/**
 * What a cluster or schedule keeps: the last {@code keepLast}, everything younger than {@code keepDays}
 * days, and grandfather-father-son: the newest backup of each of the last {@code daily} days,
 * {@code weekly} ISO weeks and {@code monthly} months. A backup kept by any rule stays. No rule at all
 * keeps everything.
 */
public record RetentionPolicy(Integer keepLast, Integer keepDays, Integer daily, Integer weekly, Integer monthly) {

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
