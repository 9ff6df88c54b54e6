package io.pgvault.wal;

import io.pgvault.api.InvalidRequestException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The exact names PostgreSQL gives archived WAL files; anything else is refused. */
public record WalFileName(String name, WalFileKind kind, long timeline, long logId, long segment) {

    private static final Pattern SEGMENT = Pattern.compile("^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(\\.partial)?$");
    private static final Pattern BACKUP = Pattern.compile("^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})\\.[0-9A-F]{8}\\.backup$");
    private static final Pattern HISTORY = Pattern.compile("^([0-9A-F]{8})\\.history$");

    public static WalFileName parse(String name) {
        if (name != null) {
            Matcher m = SEGMENT.matcher(name);
            if (m.matches()) {
                return new WalFileName(name, m.group(4) == null ? WalFileKind.SEGMENT : WalFileKind.PARTIAL,
                        hex(m.group(1)), hex(m.group(2)), hex(m.group(3)));
            }
            m = BACKUP.matcher(name);
            if (m.matches()) {
                return new WalFileName(name, WalFileKind.BACKUP, hex(m.group(1)), hex(m.group(2)), hex(m.group(3)));
            }
            m = HISTORY.matcher(name);
            if (m.matches()) {
                return new WalFileName(name, WalFileKind.HISTORY, hex(m.group(1)), 0, 0);
            }
        }
        throw new InvalidRequestException("file", "'" + printable(name) + "' is not a WAL file name: expected a "
                + "segment (24 hex digits, e.g. 000000010000000000000001), a .partial segment, a timeline .history "
                + "file or a .backup file");
    }

    /** Whether the name is a complete WAL segment's (24 hex digits). */
    public static boolean isSegment(String name) {
        Matcher m = SEGMENT.matcher(name);
        return m.matches() && m.group(4) == null;
    }

    /** The segment's position in the WAL stream, for a segment size in bytes. */
    public long position(long segmentSize) {
        return logId * (0x1_0000_0000L / segmentSize) + segment;
    }

    /** The segment name at a position of a timeline. */
    public static String segmentName(long timeline, long position, long segmentSize) {
        long perLog = 0x1_0000_0000L / segmentSize;
        return String.format("%08X%08X%08X", timeline, position / perLog, position % perLog);
    }

    private static long hex(String s) {
        return Long.parseLong(s, 16);
    }

    private static String printable(String s) {
        if (s == null) {
            return "";
        }
        String shown = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return shown.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
