package io.pgvault.recovery;

import java.util.ArrayList;
import java.util.List;

/** The postgresql.auto.conf lines that make an extracted base backup recover from pgvault's archive. */
final class RecoveryConfig {

    private RecoveryConfig() {
    }

    /** A {@code key = 'value'} line with the value quoted as postgresql.conf wants. */
    static String setting(String key, String value) {
        return key + " = '" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /** curl fetches each file from pgvault; a missing one fails with curl's exit code 22, which ends recovery there. */
    static String restoreCommand(String walUrl) {
        return "curl --fail --silent --show-error --output \"%p\" '" + walUrl + "%f'";
    }

    /**
     * The settings for one recovery. A copy (not the cluster's own directory) has archiving switched off,
     * so that its new timeline never lands in the source cluster's archive.
     */
    static List<String> lines(RecoveryPlan plan, String walUrl, int port, boolean copy) {
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add("# added by pgvault: recovery of backup " + plan.backupId() + " to " + plan.target());
        lines.add(setting("restore_command", restoreCommand(walUrl)));
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
        return lines;
    }
}
