package io.pgvault.wal;

import io.pgvault.api.UnprocessableContentException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two small text files of a WAL archive: timeline {@code .history} files and {@code .backup} files (the
 * backup history file that pg_backup_stop writes). Their contents are checked the way PostgreSQL reads them.
 */
final class WalTextFiles {

    /** A history file lists one line per ancestor timeline; a megabyte is thousands of timelines. */
    static final int HISTORY_LIMIT = 1024 * 1024;
    /** A backup history file is a dozen short lines (the label is at most 1 KiB). */
    static final int BACKUP_LIMIT = 64 * 1024;

    /** {@code parentTLI<TAB>switchpoint<TAB>reason}; like PostgreSQL's sscanf("%u\t%X/%X"), blanks may be spaces. */
    private static final Pattern HISTORY_LINE =
            Pattern.compile("([0-9]{1,10})[ \\t]+([0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8})(?:[ \\t].*)?");
    private static final Pattern START = Pattern.compile(
            "START WAL LOCATION: ([0-9A-F]{1,8}/[0-9A-F]{1,8}) \\(file ([0-9A-F]{24})\\)\r?");

    private WalTextFiles() {
    }

    /**
     * A timeline history file: its timeline is above 1; each entry names an earlier timeline (in increasing
     * order, all below the file's) and a well-formed switch point, never going back; {@code #} comments and
     * blank lines are allowed, as PostgreSQL allows them.
     */
    static void checkHistory(WalFileName file, byte[] content) {
        String name = file.name();
        if (file.timeline() < 2) {
            throw refused("file", name + " cannot exist: timeline 1 has no history, history files start at "
                    + "timeline 2");
        }
        String text = text(name, content);
        long lastTimeline = 0;
        Lsn lastSwitch = null;
        int entries = 0;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            Matcher m = HISTORY_LINE.matcher(line.stripTrailing());
            String where = name + " line " + (i + 1) + ": ";
            if (!m.matches()) {
                throw refused("body", where + "expected 'parentTimeline<TAB>switchpoint LSN<TAB>reason' (for "
                        + "example '1\\t0/3000000\\tno recovery target specified'), got '" + printable(line) + "'");
            }
            long parent = Long.parseLong(m.group(1));
            if (parent < 1 || parent >= file.timeline()) {
                throw refused("body", where + "parent timeline " + parent + " must be from 1 to below the file's "
                        + "own timeline, " + file.timeline());
            }
            if (parent <= lastTimeline) {
                throw refused("body", where + "parent timeline " + parent + " must be above the line before's, "
                        + lastTimeline);
            }
            Lsn at = Lsn.parse(m.group(2));
            if (lastSwitch != null && at.compareTo(lastSwitch) < 0) {
                throw refused("body", where + "switch point " + at + " lies before the line before's, " + lastSwitch);
            }
            lastTimeline = parent;
            lastSwitch = at;
            entries++;
        }
        if (entries == 0) {
            throw refused("body", name + " names no parent timeline: timeline " + file.timeline()
                    + " must have branched off an earlier one");
        }
    }

    /**
     * A backup history file: its first line is {@code START WAL LOCATION: X/Y (file NAME)}, where NAME is the
     * segment in the file's own name and X/Y lies in that segment at the offset that the name carries.
     */
    static void checkBackupLabel(WalFileName file, byte[] content, long segmentSize) {
        String name = file.name();
        String text = text(name, content);
        int end = text.indexOf('\n');
        String first = end < 0 ? text : text.substring(0, end);
        Matcher m = START.matcher(first);
        if (!m.matches()) {
            throw refused("body", name + " is not a backup history file: its first line must be 'START WAL "
                    + "LOCATION: X/Y (file " + name.substring(0, 24) + ")', got '" + printable(first) + "'");
        }
        String segment = name.substring(0, 24);
        if (!m.group(2).equals(segment)) {
            throw refused("body", name + " says it starts in segment " + m.group(2) + ", but its name says "
                    + segment);
        }
        Lsn start = Lsn.parse(m.group(1));
        long offset = Long.parseLong(name.substring(25, 33), 16);
        if (start.segment(segmentSize) != file.position(segmentSize)
                || Long.remainderUnsigned(start.value(), segmentSize) != offset) {
            throw refused("body", name + " says START WAL LOCATION " + start + ", which is not in " + segment
                    + " at offset " + String.format("0x%08X", offset) + " as its name says (" + segmentSize
                    + "-byte segments)");
        }
    }

    private static String text(String name, byte[] content) {
        for (byte b : content) {
            if (b == 0) {
                throw refused("body", name + " is not text: it holds a NUL byte");
            }
        }
        // PostgreSQL writes these files in the server's encoding; only their ASCII structure is read here
        return new String(content, StandardCharsets.ISO_8859_1);
    }

    private static String printable(String s) {
        String shown = s.length() > 100 ? s.substring(0, 100) + "..." : s;
        return shown.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static UnprocessableContentException refused(String field, String message) {
        return new UnprocessableContentException(field, message);
    }
}
