package io.pgvault.backup.logical;

import java.util.ArrayList;
import java.util.List;

/**
 * pg_dump's name patterns as the regular expressions pg_dump itself matches them with (its
 * {@code patternToSQLRegex}): unquoted letters fold to lower case, {@code *} and {@code ?} are wildcards, an
 * unquoted dot separates database, schema and name, a double-quoted part is literal, {@code $} is always
 * literal, and each part is anchored. pgvault resolves a dump's patterns the same way in the dump's own
 * snapshot, so that it knows which tables the dump holds and can add what pg_dump 15 would leave out.
 */
final class DumpPatterns {

    private DumpPatterns() {
    }

    /** A pattern's parts as anchored regular expressions; {@code schema} null when the pattern names none. */
    record Regex(String schema, String name) {
    }

    /**
     * A table pattern ({@code [database.][schema.]name}); null when it has more dots than that (pg_dump refuses
     * it). The database part is not checked here: pg_dump refuses one that is not the dumped database.
     */
    static Regex table(String pattern) {
        List<String> parts = split(pattern, 3);
        if (parts == null) {
            return null;
        }
        return parts.size() == 1 ? new Regex(null, parts.get(0))
                : new Regex(parts.get(parts.size() - 2), parts.get(parts.size() - 1));
    }

    /** A schema pattern; null when it holds an unquoted dot (a database part pgvault leaves to pg_dump). */
    static String schema(String pattern) {
        List<String> parts = split(pattern, 1);
        return parts == null ? null : parts.get(0);
    }

    /** Splits at unquoted dots into at most {@code max} regular expressions, or null for more parts. */
    private static List<String> split(String pattern, int max) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder("^(");
        boolean quoted = false;
        for (int i = 0; i < pattern.length(); i++) {
            char ch = pattern.charAt(i);
            if (ch == '"') {
                if (quoted && i + 1 < pattern.length() && pattern.charAt(i + 1) == '"') {
                    current.append('"');
                    i++;
                } else {
                    quoted = !quoted;
                }
            } else if (!quoted && ch >= 'A' && ch <= 'Z') {
                current.append(Character.toLowerCase(ch));
            } else if (!quoted && ch == '*') {
                current.append(".*");
            } else if (!quoted && ch == '?') {
                current.append('.');
            } else if (!quoted && ch == '.') {
                parts.add(current.append(")$").toString());
                current = new StringBuilder("^(");
            } else if (ch == '$') {
                current.append("\\$");
            } else {
                if (quoted && "|*+?()[]{}.^$\\".indexOf(ch) >= 0) {
                    current.append('\\');
                } else if (ch == '[' && i + 1 < pattern.length() && pattern.charAt(i + 1) == ']') {
                    current.append('\\');
                }
                current.append(ch);
            }
        }
        parts.add(current.append(")$").toString());
        return parts.size() > max ? null : parts;
    }
}
