package io.pgvault.restore;

import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Restores chosen entries of an archive in one transaction that also counts the rows it put in each table:
 * pg_restore writes the entries as a script, psql runs it between pgvault's own BEGIN and COMMIT, and just
 * before COMMIT a block counts every table and raises an error naming each table whose count differs from the
 * source's, so that a short restore rolls back whole instead of committing (pg_restore's own
 * {@code --single-transaction} leaves no room for a check before it commits). A script cut short (pg_restore
 * failed, the job was cancelled) never reaches COMMIT either: psql ends and the server rolls the transaction back.
 * Large objects are never part of such a selection (their script commits on its own).
 */
@Component
public class CheckedRestore {

    /** The line the counting block reports its counts on (a NOTICE that psql prints). */
    static final String ROWS = "pgvault rows: ";
    /** The start of the error the counting block raises on a difference. */
    public static final String DIFFERENCE = "pgvault: row counts differ from the source: ";

    private final ProcessExecutor executor;
    private final JsonMapper json;
    private final SecureRandom random = new SecureRandom();

    CheckedRestore(ProcessExecutor executor, JsonMapper json) {
        this.executor = executor;
        this.json = json;
    }

    /** A table to count: its name as SQL (quoted) and for people, and the rows the source had (null: unknown). */
    public record Count(String sql, String display, Long expected) {
    }

    /**
     * {@code pgRestoreOptions}: --no-owner, --clean and the like. {@code addedRows}: count what the restore added
     * (dataOnly into tables that hold rows already). {@code checkBeforeCommit}: false commits whatever the counts
     * are (the caller compares them and keeps what was restored, to look at). {@code schemasToMake}: created in
     * the same transaction when missing (an archive of named tables holds none).
     */
    public record Options(List<String> pgRestoreOptions, boolean addedRows, boolean checkBeforeCommit,
            java.util.Set<String> schemasToMake) {
    }

    /** The rows restored into each table (by display name), as counted inside the restore's transaction. */
    public Map<String, Long> run(ToolSession session, String database, Path archive, String list, Path work,
            List<Count> counts, Options options, JobContext context) throws Exception {
        Path listFile = work.resolve("restore-" + System.nanoTime() + ".list");
        Files.writeString(listFile, list, StandardCharsets.UTF_8);
        List<String> script = new ArrayList<>(List.of(session.tool("pg_restore"), "--file=-", "--use-list=" + listFile));
        script.addAll(options.pgRestoreOptions());
        script.add(archive.toString());
        byte[] nonce = new byte[8];
        random.nextBytes(nonce);
        // a quoting tag that no name in the block can end early
        String tag = "$pgvault_" + HexFormat.of().formatHex(nonce) + "$";
        byte[] prologue = prologue(counts, options).getBytes(StandardCharsets.UTF_8);
        byte[] epilogue = epilogue(counts, options, tag).getBytes(StandardCharsets.UTF_8);

        Pipe pipe = Pipe.open();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread producer = new Thread(() -> {
            try (OutputStream out = Channels.newOutputStream(pipe.sink())) {
                out.write(prologue);
                executor.run(ProcessSpec.of(script).environment(session.environment(null)).stdout(out)
                        .stderrLines(context::log), context.cancellation());
                out.write(epilogue);
            } catch (Exception e) {
                // the script ends without COMMIT: psql stops at its end and the server rolls back
                failure.set(e);
            }
        }, "pg_restore-script");
        producer.setDaemon(true);
        List<String> problems = new ArrayList<>();
        Map<String, Long> restored = new LinkedHashMap<>();
        List<String> psql = List.of(session.tool("psql"), "--no-psqlrc", "--no-password", "--quiet",
                "--set=ON_ERROR_STOP=1", "--dbname=" + ToolSession.conninfo(database));
        producer.start();
        try (InputStream in = Channels.newInputStream(pipe.source())) {
            executor.run(ProcessSpec.of(psql).environment(session.environment(null)).stdin(in)
                    .stderrLines(line -> onLine(line, problems, restored, context)), context.cancellation());
        } catch (Exception e) {
            pipe.source().close();
            producer.join();
            if (!problems.isEmpty()) {
                throw new RowCountsDiffer(problems.get(0));
            }
            throw e;
        }
        pipe.source().close();
        producer.join();
        if (failure.get() != null) {
            throw failure.get();
        }
        return restored;
    }

    private void onLine(String line, List<String> problems, Map<String, Long> restored, JobContext context) {
        int rows = line.indexOf(ROWS);
        if (rows >= 0) {
            JsonNode counted = json.readTree(line.substring(rows + ROWS.length()));
            counted.properties().forEach(e -> restored.put(e.getKey(), e.getValue().asLong()));
            return;
        }
        context.log(line);
        int difference = line.indexOf(DIFFERENCE);
        if (difference >= 0) {
            problems.add(line.substring(difference));
        }
    }

    /** BEGIN, the schemas to make, and with {@code addedRows} the counts before the restore. */
    static String prologue(List<Count> counts, Options options) {
        StringBuilder s = new StringBuilder("BEGIN;\n");
        for (String schema : options.schemasToMake()) {
            s.append("CREATE SCHEMA IF NOT EXISTS \"").append(schema.replace("\"", "\"\"")).append("\";\n");
        }
        if (options.addedRows() && !counts.isEmpty()) {
            s.append("CREATE TEMPORARY TABLE pgvault_rows_before (i int, n bigint) ON COMMIT DROP;\n");
            s.append("INSERT INTO pg_temp.pgvault_rows_before VALUES ");
            for (int i = 0; i < counts.size(); i++) {
                s.append(i == 0 ? "" : ", ").append("(").append(i).append(", (SELECT count(*) FROM ")
                        .append(counts.get(i).sql()).append("))");
            }
            s.append(";\n");
        }
        return s.toString();
    }

    /** The counting block, then COMMIT. */
    static String epilogue(List<Count> counts, Options options, String tag) {
        StringBuilder body = new StringBuilder("DECLARE\n  counted jsonb := '{}';\n  wrong text := '';\n  n bigint;\n"
                + "BEGIN\n");
        for (int i = 0; i < counts.size(); i++) {
            Count c = counts.get(i);
            body.append("  SELECT count(*) INTO n FROM ").append(c.sql()).append(";\n");
            if (options.addedRows()) {
                body.append("  n := n - (SELECT b.n FROM pg_temp.pgvault_rows_before b WHERE b.i = ").append(i)
                        .append(");\n");
            }
            body.append("  counted := counted || pg_catalog.jsonb_build_object(").append(literal(c.display()))
                    .append(", n);\n");
            if (c.expected() != null && options.checkBeforeCommit()) {
                body.append("  IF n <> ").append(c.expected()).append(" THEN wrong := wrong || ', ' || ")
                        .append(literal(c.display())).append(" || ' has ' || n || ' row(s), the source had ")
                        .append(c.expected()).append("'; END IF;\n");
            }
        }
        body.append("  RAISE NOTICE '").append(ROWS).append("%', counted::text;\n");
        body.append("  IF wrong <> '' THEN RAISE EXCEPTION '").append(DIFFERENCE)
                .append("%', pg_catalog.substr(wrong, 3); END IF;\nEND\n");
        if (body.indexOf(tag) >= 0) {
            throw new IllegalStateException("a table name holds the quoting tag " + tag);
        }
        return "SET client_min_messages = notice;\nDO " + tag + "\n" + body + tag + ";\nCOMMIT;\n";
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    /** A restore whose row counts differ from the source's; nothing of it was committed. */
    public static final class RowCountsDiffer extends IllegalStateException {
        public RowCountsDiffer(String message) {
            super(message);
        }
    }
}
