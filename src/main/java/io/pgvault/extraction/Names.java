package io.pgvault.extraction;

import io.pgvault.api.EditDistance;
import io.pgvault.api.InvalidRequestException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Table and schema names as a request gives them: {@code schema.table} or {@code table} (schema public),
 * exactly as the catalog spells them (no case folding); a part holding a dot or a quote is written in double
 * quotes, as in SQL ({@code "my.schema"."Orders"}).
 */
final class Names {

    private Names() {
    }

    /** A schema-qualified table name. */
    record Qualified(String schema, String name) {

        @Override
        public String toString() {
            return part(schema) + "." + part(name);
        }

        /** For SQL, and for pg_dump's --table: both parts quoted. */
        String sql() {
            return quote(schema) + "." + quote(name);
        }
    }

    static Qualified table(String field, String text) {
        List<String> parts = parts(field, text);
        if (parts.size() == 1) {
            return new Qualified("public", parts.get(0));
        }
        if (parts.size() == 2) {
            return new Qualified(parts.get(0), parts.get(1));
        }
        throw new InvalidRequestException(field, "'" + text + "' is not a table name: write schema.table or table "
                + "(double-quote a part that holds a dot)");
    }

    static String schema(String field, String text) {
        List<String> parts = parts(field, text);
        if (parts.size() != 1) {
            throw new InvalidRequestException(field, "'" + text + "' is not a schema name (double-quote a name that "
                    + "holds a dot)");
        }
        return parts.get(0);
    }

    /** A plain identifier for a new object: what pgvault names itself or is told to create. */
    static void checkIdentifier(String field, String name) {
        if (name == null || name.isEmpty() || name.length() > 63 || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidRequestException(field, "a name has 1 to 63 characters and no control characters");
        }
    }

    private static List<String> parts(String field, String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidRequestException(field, "a name may not be empty");
        }
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    current.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    current.append(c);
                }
            } else if (c == '"') {
                quoted = true;
                wasQuoted = true;
            } else if (c == '.') {
                parts.add(finish(field, text, current));
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (quoted) {
            throw new InvalidRequestException(field, "'" + text + "' has an unclosed double quote");
        }
        parts.add(finish(field, text, current));
        if (!wasQuoted) {
            parts.replaceAll(String::strip);
        }
        return parts;
    }

    private static String finish(String field, String text, StringBuilder part) {
        String s = part.toString();
        checkIdentifier(field, s.strip().isEmpty() ? "" : s);
        return s;
    }

    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    /** How a name is written back: plain when it is plain enough, quoted otherwise. */
    static String part(String identifier) {
        return identifier.matches("[A-Za-z_][A-Za-z0-9_$]*") ? identifier : quote(identifier);
    }

    /** The known names closest to {@code wanted} (at most three), for "did you mean". */
    static List<String> closest(String wanted, Collection<String> known) {
        int limit = Math.max(2, wanted.length() / 3);
        return known.stream().map(k -> new Object[] {k, EditDistance.between(wanted.toLowerCase(), k.toLowerCase())})
                .filter(a -> (int) a[1] <= limit)
                .sorted(Comparator.comparingInt((Object[] a) -> (int) a[1]).thenComparing(a -> (String) a[0]))
                .limit(3).map(a -> (String) a[0]).toList();
    }

    static String didYouMean(String wanted, Collection<String> known) {
        List<String> close = closest(wanted, known);
        return close.isEmpty() ? "" : "; did you mean " + String.join(" or ", close) + "?";
    }
}
