package io.pgvault.cluster;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an archive_command does, as far as pgvault can tell from its text: nothing (empty, or
 * {@code (disabled)}, which PostgreSQL 15 and later show while archive_mode is off), pgvault's push
 * ({@code PUT .../api/v1/clusters/{name}/wal/%f}, as archive-config hands it out) for this cluster or for
 * another one, or something else. A command is only ever shown with bearer tokens masked, since an
 * operator may have written one into it instead of the header file.
 */
record ArchiveCommand(Kind kind, String text, String cluster, String url) {

    enum Kind { EMPTY, DISABLED, PGVAULT, OTHER }

    static final String DISABLED_TEXT = "(disabled)";
    private static final Pattern PUSH = Pattern.compile(
            "((?:https?://)?[^\\s'\"]*?)/api/v1/clusters/([^/\\s'\"]+)/wal/%f");
    private static final Pattern BEARER = Pattern.compile("(?i)(Bearer\\s+)[^\\s'\"]+");

    static ArchiveCommand of(String command) {
        String text = command == null ? "" : command.strip();
        if (text.isEmpty()) {
            return new ArchiveCommand(Kind.EMPTY, "", null, null);
        }
        if (text.equals(DISABLED_TEXT)) {
            return new ArchiveCommand(Kind.DISABLED, text, null, null);
        }
        String shown = BEARER.matcher(text).replaceAll("$1***");
        Matcher push = PUSH.matcher(text);
        if (push.find() && text.contains("%p")) {
            return new ArchiveCommand(Kind.PGVAULT, shown, push.group(2), push.group(1) + "/api/v1/clusters/"
                    + push.group(2) + "/wal/");
        }
        return new ArchiveCommand(Kind.OTHER, shown, null, null);
    }

    boolean pushesTo(String name) {
        return kind == Kind.PGVAULT && name.equals(cluster);
    }
}
