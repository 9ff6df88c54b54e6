package io.pgvault.proof;

import io.pgvault.wal.Lsn;
import io.pgvault.wal.WalFileName;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a replaying server's own log says about where replay stopped and why: PostgreSQL names a damaged record by
 * its LSN, a timeline it cannot follow by number, and a standby's restore_command (see {@code WalCommands}) names
 * each file pgvault did not serve. Read by the proof's job and by the standing standby's follower alike.
 */
final class ReplayLog {

    static final Pattern RECORD_AT = Pattern.compile(
            "(invalid record length at|incorrect resource manager data checksum in record at|invalid magic number"
                    + "|record with incorrect prev-link|invalid resource manager ID|unexpected pageaddr)[^\\n]*?"
                    + "([0-9A-F]+/[0-9A-F]+)");
    static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
    private static final Pattern NOT_SERVED = Pattern.compile(
            "restore_command: pgvault answered HTTP \\S+ \\(curl exit \\d+\\) for ([0-9A-F]{24})");
    /** PostgreSQL's words when it cannot follow a timeline (not "new target timeline is N": that is following). */
    private static final List<String> TIMELINE = List.of("is not a child of this server's history",
            "new timeline", "unexpected timeline ID", "requested timeline", "out of sequence timeline ID");

    private ReplayLog() {
    }

    /** The segment of the first "invalid record ... at X/Y" the server logged, or null. */
    static String damagedAt(String log, long segmentSize, long timeline) {
        Matcher m = RECORD_AT.matcher(log);
        if (!m.find()) {
            return null;
        }
        return WalFileName.segmentName(timeline, Lsn.parse(m.group(2)).segment(segmentSize), segmentSize);
    }

    /** The server's words for why replay ended, from its log, or nothing. */
    static String reason(String log) {
        Matcher m = RECORD_AT.matcher(log);
        if (m.find()) {
            return " (PostgreSQL: \"" + m.group().strip() + "\")";
        }
        return log.lines().filter(l -> l.contains("restore_command") || l.contains("could not"))
                .reduce((a, b) -> b).map(l -> " (PostgreSQL: \"" + l.strip() + "\")")
                .orElse(" (the archive ended there for the server: the segment was not served)");
    }

    /** The last file a standby's restore_command says pgvault did not serve (other than with a 404), or null. */
    static String lastNotServed(String log) {
        Matcher m = NOT_SERVED.matcher(log);
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        return last;
    }

    /** The last line about a timeline the server could not follow, or null. */
    static String timelineTrouble(String log) {
        return log.lines().filter(l -> TIMELINE.stream().anyMatch(l::contains))
                .reduce((a, b) -> b).map(String::strip).orElse(null);
    }

    /** The last lines a server wrote, joined: why it stopped, when nothing more precise is known. */
    static String tail(String log, int lines) {
        List<String> all = log.lines().toList();
        return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    static String segmentIn(String text) {
        Matcher m = SEGMENT.matcher(text == null ? "" : text);
        return m.find() ? m.group() : null;
    }

    /** The first segment a message names other than the archive's end, else any it names. */
    static String firstSegmentIn(String text, String archiveEnd) {
        Matcher m = SEGMENT.matcher(text == null ? "" : text);
        String any = null;
        while (m.find()) {
            if (!m.group().equals(archiveEnd)) {
                return m.group();
            }
            any = m.group();
        }
        return any;
    }
}
