package io.pgvault.cluster;

import java.nio.file.Path;
import java.util.Locale;

/**
 * postgresql.conf's line syntax, as far as pgvault reads and rewrites it: {@code name = value} or
 * {@code name value}, the value a single-quoted string ('' or \' inside) or a bare word, then an optional
 * comment. Shared by the capture of a server's configuration files and their rewriting for a copy.
 */
public final class ConfSyntax {

    private ConfSyntax() {
    }

    /** One setting line: its name (lower case) and its value, unquoted. */
    public record Setting(String name, String value) {

        public boolean isInclude() {
            return name.equals("include") || name.equals("include_if_exists") || name.equals("include_dir");
        }

        /** An include's target, resolved against the directory of the file that holds it. */
        public Path target(Path includingFile) {
            Path value = Path.of(this.value);
            return value.isAbsolute() ? value.normalize() : includingFile.getParent().resolve(value).normalize();
        }
    }

    /** The setting a line holds, or null for blank lines, comments and lines pgvault cannot read. */
    public static Setting parse(String line) {
        String s = line.strip();
        int i = 0;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '.')) {
            i++;
        }
        if (i == 0) {
            return null;
        }
        String name = s.substring(0, i).toLowerCase(Locale.ROOT);
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        if (i < s.length() && s.charAt(i) == '=') {
            i++;
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }
        if (i >= s.length()) {
            return null;
        }
        if (s.charAt(i) != '\'') {
            int end = i;
            while (end < s.length() && !Character.isWhitespace(s.charAt(end)) && s.charAt(end) != '#') {
                end++;
            }
            return new Setting(name, s.substring(i, end));
        }
        StringBuilder value = new StringBuilder();
        for (int j = i + 1; j < s.length(); j++) {
            char c = s.charAt(j);
            if (c == '\\' && j + 1 < s.length()) {
                value.append(s.charAt(++j));
            } else if (c == '\'') {
                if (j + 1 < s.length() && s.charAt(j + 1) == '\'') {
                    value.append('\'');
                    j++;
                } else {
                    return new Setting(name, value.toString());
                }
            } else {
                value.append(c);
            }
        }
        return null; // an unterminated string: PostgreSQL refuses it too
    }

    /** A {@code name = 'value'} line with the value quoted as postgresql.conf wants. */
    public static String line(String name, String value) {
        return name + " = '" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }
}
