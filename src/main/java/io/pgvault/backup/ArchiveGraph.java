package io.pgvault.backup;

import io.pgvault.job.Cancellation;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The entries of a pg_dump archive and what each depends on, as pg_restore itself tells it. {@code --list
 * --verbose} gives every entry's id, type and the ids it depends on (pg_dump records them from pg_depend: a
 * table on its schema, types and the functions its defaults call, an index on its table, a partition's index on
 * its parent's); {@code --schema-only --verbose} prints each definition's header ({@code Name: ...; Type: ...;
 * Schema: ...}), which tells schema and name apart where the list's {@code "schema name owner"} cannot (a name
 * may hold a space). Data entries (TABLE DATA, SEQUENCE SET) take the names of the table or sequence they fill.
 */
public final class ArchiveGraph {

    /** Entry types, longest first, so that "TABLE DATA" is not read as "TABLE". */
    private static final List<String> DESCS = Arrays.stream(new String[] {
        "ACCESS METHOD", "ACL", "AGGREGATE", "BLOB", "BLOB DATA", "BLOB METADATA", "BLOBS", "CAST",
        "CHECK CONSTRAINT", "COLLATION", "COMMENT", "CONSTRAINT", "CONVERSION", "DATABASE", "DATABASE PROPERTIES",
        "DEFAULT", "DEFAULT ACL", "DOMAIN", "ENCODING", "EVENT TRIGGER", "EXTENSION", "FK CONSTRAINT",
        "FOREIGN DATA WRAPPER", "FOREIGN SERVER", "FOREIGN TABLE", "FUNCTION", "INDEX", "INDEX ATTACH",
        "LARGE OBJECT", "MATERIALIZED VIEW", "MATERIALIZED VIEW DATA", "OPERATOR", "OPERATOR CLASS",
        "OPERATOR FAMILY", "POLICY", "PROCEDURAL LANGUAGE", "PROCEDURE", "PUBLICATION", "PUBLICATION TABLE",
        "PUBLICATION TABLES IN SCHEMA", "ROW SECURITY", "RULE", "SCHEMA", "SEARCHPATH", "SECURITY LABEL",
        "SEQUENCE", "SEQUENCE OWNED BY", "SEQUENCE SET", "SERVER", "SHELL TYPE", "STATISTICS", "STDSTRINGS",
        "SUBSCRIPTION", "SUBSCRIPTION TABLE", "TABLE", "TABLE ATTACH", "TABLE DATA", "TEXT SEARCH CONFIGURATION",
        "TEXT SEARCH DICTIONARY", "TEXT SEARCH PARSER", "TEXT SEARCH TEMPLATE", "TRANSFORM", "TRIGGER", "TYPE",
        "USER MAPPING", "VIEW"}).sorted(Comparator.comparingInt(String::length).reversed()).toList();
    private static final Pattern LINE = Pattern.compile("^(\\d+); (\\d+) (\\d+) (.+)$");
    private static final Pattern DEPENDS = Pattern.compile("^;\\s+depends on:((?: \\d+)+)\\s*$");
    private static final Pattern ENTRY = Pattern.compile("^-- TOC entry (\\d+) \\(class \\d+ OID \\d+\\)$");
    private static final Pattern HEADER = Pattern.compile(
            "^-- (?:Data for )?Name: (.*); Type: (.*?); Schema: (.*?); Owner: (.*)$");

    /** One entry: its list line (for a {@code --use-list} file), type, schema (null: none) and name. */
    public record Node(int id, String line, String desc, String schema, String name, List<Integer> deps) {

        public boolean is(String type) {
            return desc.equals(type);
        }

        /** "type schema.name", for messages. */
        public String describe() {
            return desc.toLowerCase() + " " + (schema == null ? "" : schema + ".") + name;
        }
    }

    private final List<Node> nodes;
    private final Map<Integer, Node> byId = new HashMap<>();

    private ArchiveGraph(List<Node> nodes) {
        this.nodes = List.copyOf(nodes);
        this.nodes.forEach(n -> byId.put(n.id(), n));
    }

    /** Every entry, in the archive's (dependency-sorted) order. */
    public List<Node> nodes() {
        return nodes;
    }

    /** The entry of that id; null when the archive does not hold it (a filtered dump drops such dependencies). */
    public Node node(int id) {
        return byId.get(id);
    }

    /** The entries that {@code node} depends on and the archive holds. */
    public List<Node> dependencies(Node node) {
        return node.deps().stream().map(byId::get).filter(java.util.Objects::nonNull).distinct().toList();
    }

    /** The definition of {@code desc} (TABLE, SEQUENCE...) named schema.name, or null. */
    public Node find(String desc, String schema, String name) {
        return nodes.stream().filter(n -> n.is(desc) && name.equals(n.name()) && java.util.Objects.equals(schema,
                n.schema())).findFirst().orElse(null);
    }

    /** Reads the archive (a custom or tar file, or a directory dump) with the given pg_restore. */
    public static ArchiveGraph read(ProcessExecutor executor, String pgRestore, Map<String, String> environment,
            Path archive, Cancellation cancellation) throws IOException, InterruptedException {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        executor.run(ProcessSpec.of(List.of(pgRestore, "--list", "--verbose", archive.toString()))
                .environment(environment).stdout(list).timeout(Duration.ofMinutes(10)), cancellation);
        Map<Integer, String[]> headers = new HashMap<>();
        HeaderLines sink = new HeaderLines(headers);
        executor.run(ProcessSpec.of(List.of(pgRestore, "--schema-only", "--verbose", "--file=-", archive.toString()))
                .environment(environment).stdout(sink).timeout(Duration.ofMinutes(10)), cancellation);
        sink.flushLine();
        return parse(list.toString(StandardCharsets.UTF_8), headers);
    }

    /** From the text of {@code pg_restore --list --verbose} and of {@code --schema-only --verbose --file=-}. */
    public static ArchiveGraph parse(String listing, String script) {
        Map<Integer, String[]> headers = new HashMap<>();
        HeaderLines sink = new HeaderLines(headers);
        byte[] bytes = script.getBytes(StandardCharsets.UTF_8);
        sink.write(bytes, 0, bytes.length);
        sink.flushLine();
        return parse(listing, headers);
    }

    private static ArchiveGraph parse(String listing, Map<Integer, String[]> headers) {
        Map<Integer, String[]> items = new LinkedHashMap<>();
        Map<Integer, List<Integer>> deps = new HashMap<>();
        Integer last = null;
        for (String line : listing.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                last = Integer.valueOf(m.group(1));
                items.put(last, new String[] {m.group(0), m.group(4)});
                continue;
            }
            Matcher d = DEPENDS.matcher(line);
            if (d.matches() && last != null) {
                List<Integer> ids = new ArrayList<>();
                for (String id : d.group(1).trim().split(" ")) {
                    ids.add(Integer.valueOf(id));
                }
                deps.put(last, ids);
            }
        }
        List<Node> nodes = new ArrayList<>();
        Map<Integer, Node> named = new HashMap<>();
        for (Map.Entry<Integer, String[]> e : items.entrySet()) {
            int id = e.getKey();
            String item = e.getValue()[1];
            String desc = DESCS.stream().filter(s -> item.startsWith(s + " ")).findFirst().orElse(item);
            String[] header = headers.get(id);
            String schema = null;
            String name = null;
            if (header != null && header[1].equals(desc)) {
                schema = header[2].equals("-") ? null : header[2];
                name = header[0];
            } else {
                // no header (a data entry): "schema name owner" when the words are plain
                String[] words = item.substring(Math.min(item.length(), desc.length() + 1)).split(" ");
                if (words.length == 3) {
                    schema = words[0].equals("-") ? null : words[0];
                    name = words[1];
                }
            }
            Node node = new Node(id, e.getValue()[0], desc, schema, name, deps.getOrDefault(id, List.of()));
            nodes.add(node);
            named.put(id, node);
        }
        // a data entry is named after the table, materialized view or sequence it fills
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n.is("TABLE DATA") || n.is("SEQUENCE SET") || n.is("MATERIALIZED VIEW DATA")) {
                Node owner = n.deps().stream().map(named::get).filter(java.util.Objects::nonNull)
                        .filter(o -> o.is("TABLE") || o.is("SEQUENCE") || o.is("MATERIALIZED VIEW")).findFirst()
                        .orElse(null);
                if (owner != null) {
                    nodes.set(i, new Node(n.id(), n.line(), n.desc(), owner.schema(), owner.name(), n.deps()));
                }
            }
        }
        return new ArchiveGraph(nodes);
    }

    /**
     * Collects the entry headers of a {@code --verbose} script as it streams by: only comment lines are looked
     * at, and a long line (a function body, a row of data) is never held whole.
     */
    static final class HeaderLines extends OutputStream {
        private static final int LIMIT = 64 * 1024;
        private final Map<Integer, String[]> headers;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private boolean overflow;
        private Integer entry;

        HeaderLines(Map<Integer, String[]> headers) {
            this.headers = headers;
        }

        @Override
        public void write(int b) {
            if (b == '\n') {
                flushLine();
            } else if (line.size() < LIMIT) {
                line.write(b);
            } else {
                overflow = true;
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }

        void flushLine() {
            if (!overflow && line.size() > 0) {
                accept(line.toString(StandardCharsets.UTF_8));
            }
            line.reset();
            overflow = false;
        }

        private void accept(String text) {
            if (!text.startsWith("-- ")) {
                if (!text.equals("--")) {
                    entry = null;
                }
                return;
            }
            Matcher e = ENTRY.matcher(text);
            if (e.matches()) {
                entry = Integer.valueOf(e.group(1));
                return;
            }
            Matcher h = HEADER.matcher(text);
            if (h.matches() && entry != null && !headers.containsKey(entry)) {
                headers.put(entry, new String[] {h.group(1), h.group(2), h.group(3)});
                entry = null;
            }
        }
    }
}
