package io.pgvault.recovery;

import io.pgvault.wal.WalCommands;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The postgresql.auto.conf lines that make an extracted base backup recover from pgvault's archive. */
final class RecoveryConfig {

    private RecoveryConfig() {
    }

    /**
     * The backup's own postgresql.auto.conf with every earlier recovery setting (a cluster recovered once
     * keeps its old targets and restore_command there) and every key pgvault sets taken out, then pgvault's
     * lines. PostgreSQL refuses two kinds of target, and an old target would silently bound a new latest.
     */
    static List<String> merge(List<String> existing, List<String> ours) {
        Set<String> replaced = new HashSet<>();
        ours.stream().map(RecoveryConfig::key).filter(k -> !k.isEmpty()).forEach(replaced::add);
        List<String> merged = new ArrayList<>();
        for (String line : existing) {
            String key = key(line);
            if (!replaced.contains(key) && !key.startsWith("recovery_target") && !key.equals("restore_command")
                    && !key.equals("recovery_end_command")) {
                merged.add(line);
            }
        }
        merged.addAll(ours);
        return merged;
    }

    /** The setting a postgresql.conf line sets, lower case; empty for comments and blank lines. */
    static String key(String line) {
        String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
            return "";
        }
        int end = 0;
        while (end < trimmed.length() && (Character.isLetterOrDigit(trimmed.charAt(end)) || trimmed.charAt(end) == '_'
                || trimmed.charAt(end) == '.')) {
            end++;
        }
        return trimmed.substring(0, end).toLowerCase(Locale.ROOT);
    }

    /** A {@code key = 'value'} line with the value quoted as postgresql.conf wants. */
    static String setting(String key, String value) {
        return key + " = '" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }


    /**
     * The settings for one recovery. A copy (not the cluster's own directory) has archiving switched off,
     * so that its new timeline never lands in the source cluster's archive.
     */
    static List<String> lines(RecoveryPlan plan, String walUrl, int port, boolean copy) {
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add("# added by pgvault: recovery of backup " + plan.backupId() + " to " + plan.target());
        lines.add(setting("restore_command", WalCommands.restoreCommand(walUrl)));
        lines.addAll(plan.target().settings());
        if (!plan.target().isLatest() && !plan.target().isImmediate()) {
            lines.add(setting("recovery_target_inclusive", Boolean.toString(plan.inclusive())));
        }
        if (!plan.target().isLatest()) {
            lines.add(setting("recovery_target_action", plan.action().setting()));
        }
        lines.add(setting("recovery_target_timeline", plan.timeline()));
        lines.add(setting("port", Integer.toString(port)));
        if (copy) {
            lines.add(setting("archive_mode", "off"));
        }
        if (plan.scratch()) {
            // a throwaway copy must not consume from its source's publishers (a subscription's slot is theirs)
            lines.add(setting("max_logical_replication_workers", "0"));
        }
        return lines;
    }
}
