package io.pgvault.backup;

import io.pgvault.job.Cancellation;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The table of contents of a pg_dump archive, as {@code pg_restore --list} prints it: one entry per line,
 * {@code "id; tableoid oid DESC schema name owner"}. Names are printed unquoted, so an entry is matched by
 * what it starts with ({@code "TABLE DATA public orders "}) rather than split on spaces. Every entry's text up to
 * each of its spaces is kept in a set, so that {@link #has} answers in constant time: a dump of 100,000 tables is
 * asked about each of them.
 */
public final class ArchiveToc {

    private final List<Entry> entries;
    private final java.util.Set<String> prefixes;

    public ArchiveToc(List<Entry> entries) {
        this.entries = List.copyOf(entries);
        this.prefixes = prefixesOf(this.entries);
    }

    /** The entries, in the archive's order. */
    public List<Entry> entries() {
        return entries;
    }

    private static java.util.Set<String> prefixesOf(List<Entry> entries) {
        java.util.Set<String> all = new java.util.HashSet<>();
        for (Entry e : entries) {
            String item = e.item();
            for (int space = item.indexOf(' '); space >= 0; space = item.indexOf(' ', space + 1)) {
                all.add(item.substring(0, space));
            }
            all.add(item);
        }
        return java.util.Set.copyOf(all);
    }

    /**
     * Whether an entry is {@code desc} of schema.name (e.g. TABLE, TABLE DATA): its text is that, or starts with it
     * and a space (the owner follows).
     */
    public boolean has(String desc, String schema, String name) {
        return prefixes.contains(desc + " " + schema + " " + name);
    }

    private static final Pattern LINE = Pattern.compile("^(\\d+); (\\d+) (\\d+) (.+)$");

    /** One archive entry: the text after the object ids, e.g. {@code "TABLE DATA public orders alice"}. */
    public record Entry(String line, String item) {

        public boolean is(String desc) {
            return item.startsWith(desc + " ");
        }
    }

    public static ArchiveToc parse(String listing) {
        return new ArchiveToc(listing.lines().map(LINE::matcher).filter(Matcher::matches)
                .map(m -> new Entry(m.group(0), m.group(4))).toList());
    }

    /** Lists the archive (a custom or tar file, or a directory dump) with the given pg_restore. */
    public static ArchiveToc list(ProcessExecutor executor, String pgRestore, Map<String, String> environment,
            Path archive, Cancellation cancellation) throws IOException, InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        executor.run(ProcessSpec.of(List.of(pgRestore, "--list", archive.toString())).environment(environment)
                .stdout(out).timeout(Duration.ofMinutes(10)), cancellation);
        return parse(out.toString(StandardCharsets.UTF_8));
    }

    /** Whether the archive holds the table's definition. */
    public boolean hasTable(String schema, String name) {
        return has("TABLE", schema, name) || has("MATERIALIZED VIEW", schema, name) || has("FOREIGN TABLE", schema, name);
    }
}
