package io.pgvault.extraction;

import io.pgvault.backup.ArchiveToc;
import io.pgvault.backup.BackupService;
import io.pgvault.backup.BackupView;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ToolSession;
import io.pgvault.copy.BackupSources;
import io.pgvault.job.Job;
import io.pgvault.job.JobContext;
import io.pgvault.job.JobHandler;
import io.pgvault.job.JobType;
import io.pgvault.job.ProcessExecutor;
import io.pgvault.job.ProcessSpec;
import io.pgvault.recovery.RecoveredCopies;
import io.pgvault.recovery.RecoveryService;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.FileTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs a checked extraction. A scratch copy holds the source database as of the target: a server recovered
 * from the BASE backup and WAL (below the drill directory, as the PostgreSQL OS user, on a free port), or a
 * scratch database that the DUMP's selection is restored into. There the selection is made ready (tables moved
 * into the destination schema, foreign keys to tables left behind dropped), dumped with pg_dump, and restored
 * into the destination in one transaction. The scratch copy goes whatever happens; a destination database or
 * schema that pgvault created goes again when the restore fails.
 */
@Component
class ExtractionHandler implements JobHandler {

    static final String COPY_PREFIX = "extract-";
    static final String SCRATCH_DATABASE_PREFIX = "pgvault_extract_";
    private static final Logger log = LoggerFactory.getLogger(ExtractionHandler.class);
    private static final int COUNT_LIMIT = 1000;
    private static final String TABLE_KINDS = "('r', 'p', 'm', 'f')";

    private final JsonMapper json;
    private final BackupService backups;
    private final BackupSources sources;
    private final RecoveredCopies copies;
    private final ClusterAccess access;
    private final BackupStorage storage;
    private final ProcessExecutor executor;

    ExtractionHandler(JsonMapper json, BackupService backups, BackupSources sources, RecoveredCopies copies,
            ClusterAccess access, BackupStorage storage, ProcessExecutor executor) {
        this.json = json;
        this.backups = backups;
        this.sources = sources;
        this.copies = copies;
        this.access = access;
        this.storage = storage;
        this.executor = executor;
    }

    @Override
    public JobType type() {
        return JobType.EXTRACTION;
    }

    /** Where the selection is read from: a recovered server or a scratch database. */
    private interface Scratch {
        Connection connect() throws SQLException;

        ToolSession tools();

        Map<String, String> environment();

        void remove(JobContext context);
    }

    /** A table of the selection: its name in the source and in the destination, and its kind. */
    private record Selected(long oid, Names.Qualified source, Names.Qualified destination, String kind) {
    }

    @Override
    public void run(JobContext context) throws Exception {
        ExtractionPlan plan = json.readValue(context.payload(), ExtractionPlan.class);
        BackupView backup = sources.readable(backups.get(plan.backupId()), context::log);
        long began = System.nanoTime();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("source", plan.source());
        result.put("backupId", backup.id());
        if (plan.target() != null) {
            result.put("target", plan.target().toString());
        }
        result.put("database", plan.database());
        Map<String, Object> into = new LinkedHashMap<>();
        into.put("cluster", plan.intoCluster());
        into.put("database", plan.intoDatabase());
        into.put("schema", plan.intoSchema());
        result.put("into", into);
        context.log("pgvault: extracting " + describe(plan) + " of database '" + plan.database() + "' from "
                + plan.source() + " backup " + backup.id() + (plan.target() == null ? "" : " recovered to "
                + plan.target()) + " into " + where(plan));
        Path work = storage.scratch("extraction");
        Scratch scratch = null;
        try {
            scratch = plan.fromDump() ? scratchDatabase(plan, backup, work, context)
                    : recoveredCopy(plan, backup, context, result);
            double recovered = seconds(began);
            context.phase("preparing the selection in the scratch copy");
            List<String> dropped = new ArrayList<>();
            List<Selected> selection;
            try (Connection c = scratch.connect()) {
                selection = prepare(c, plan, dropped, context);
            }
            context.cancellation().throwIfCancelled();
            Path file = work.resolve("selection.dump");
            context.phase("dumping " + selection.size() + " table(s) from the scratch copy");
            long dumpStarted = System.nanoTime();
            dump(scratch, plan, selection, file, context);
            double dumped = seconds(dumpStarted);
            long restoreStarted = System.nanoTime();
            restoreIntoDestination(plan, file, work, context);
            double restoredIn = seconds(restoreStarted);
            context.phase("counting rows");
            result.put("tables", count(plan, selection, context.cluster()));
            result.put("droppedForeignKeys", dropped);
            Map<String, Object> seconds = new LinkedHashMap<>();
            seconds.put(plan.fromDump() ? "scratchRestore" : "recovery", round(recovered));
            seconds.put("dump", round(dumped));
            seconds.put("restore", round(restoredIn));
            seconds.put("total", round(seconds(began)));
            result.put("seconds", seconds);
            context.result(json.writeValueAsString(result));
            context.log(String.format("pgvault: extracted %d table(s) into %s in %.3f s", selection.size(),
                    where(plan), seconds(began)));
        } catch (Exception e) {
            context.result(json.writeValueAsString(result));
            throw e;
        } finally {
            if (scratch != null) {
                scratch.remove(context);
            }
            try {
                FileTrees.delete(work);
            } catch (IOException e) {
                context.log("pgvault: could not remove " + work + ": " + e.getMessage());
            }
        }
    }

    // ---- the scratch copy

    private Scratch recoveredCopy(ExtractionPlan plan, BackupView backup, JobContext context,
            Map<String, Object> result) throws Exception {
        RecoveryService.PointPlan point = new RecoveryService.PointPlan(backup, plan.target(), plan.inclusive(),
                plan.timeline(), plan.walFrom(), plan.walTo(), plan.promised());
        RecoveredCopies.Copy copy = copies.start(point, COPY_PREFIX, context);
        Map<String, Object> reached = new LinkedHashMap<>();
        copies.reached(copy, backup.cluster(), reached);
        result.put("recoveredLsn", reached.get("reachedLsn"));
        result.put("recoveredTime", reached.get("reachedTime"));
        context.log("pgvault: the scratch server on port " + copy.port() + " recovered to " + reached.get("reachedLsn")
                + " (last transaction " + reached.get("reachedTime") + ")");
        ToolSession session;
        try {
            session = access.toolSession(backup.cluster());
        } catch (IOException | RuntimeException e) {
            copies.stop(copy, context);
            throw e;
        }
        Map<String, String> env = new LinkedHashMap<>(session.environment(plan.database()));
        env.put("PGHOST", "127.0.0.1");
        env.put("PGPORT", Integer.toString(copy.port()));
        env.put("PGSSLMODE", "prefer");
        return new Scratch() {
            @Override
            public Connection connect() throws SQLException {
                try {
                    return access.connectToLocalCopy(backup.cluster(), copy.port(), plan.database());
                } catch (SQLException e) {
                    if ("3D000".equals(e.getSQLState())) {
                        throw new IllegalStateException("database '" + plan.database() + "' does not exist at the "
                                + "recovered point (" + result.get("recoveredLsn") + ")", e);
                    }
                    throw e;
                }
            }

            @Override
            public ToolSession tools() {
                return session;
            }

            @Override
            public Map<String, String> environment() {
                return env;
            }

            @Override
            public void remove(JobContext context) {
                context.phase("removing the scratch server");
                session.close();
                copies.stop(copy, context);
                context.log("pgvault: removed the scratch server and its directory " + copy.directory());
            }
        };
    }

    private Scratch scratchDatabase(ExtractionPlan plan, BackupView backup, Path work, JobContext context)
            throws Exception {
        String name = scratchDatabaseName(context.jobId());
        ToolSession session = access.toolSession(plan.intoCluster());
        try {
            context.phase("creating scratch database " + name);
            execute(plan.intoCluster(), null, "CREATE DATABASE " + Names.quote(name) + " TEMPLATE template0");
            context.log("pgvault: created scratch database " + name + " on cluster '" + plan.intoCluster() + "'");
        } catch (SQLException | RuntimeException e) {
            session.close();
            throw e;
        }
        Scratch scratch = new Scratch() {
            @Override
            public Connection connect() throws SQLException {
                return access.connect(plan.intoCluster(), name);
            }

            @Override
            public ToolSession tools() {
                return session;
            }

            @Override
            public Map<String, String> environment() {
                return session.environment(name);
            }

            @Override
            public void remove(JobContext context) {
                context.phase("dropping scratch database " + name);
                try {
                    dropDatabase(plan.intoCluster(), name);
                    context.log("pgvault: dropped scratch database " + name);
                } catch (SQLException | RuntimeException e) {
                    context.log("pgvault: COULD NOT DROP the scratch database " + name + " on cluster '"
                            + plan.intoCluster() + "': " + e.getMessage() + "; drop it by hand");
                } finally {
                    session.close();
                }
            }
        };
        try {
            if (storage.uploads(backup.repository())) {
                context.phase("downloading the dump from repository '" + backup.repository() + "'");
            }
            try (BackupStorage.LocalCopy file = storage.local(backup.repository(), backup.location(),
                    backup.mainFile())) {
                ArchiveToc toc = ArchiveToc.list(executor, session.tool("pg_restore"), session.environment(null),
                        file.path(), context.cancellation());
                Path list = work.resolve("scratch.list");
                Files.writeString(list, scratchList(toc, plan, false), StandardCharsets.UTF_8);
                context.phase("restoring the dump's definitions and the selection's rows into " + name);
                List<String> argv = new ArrayList<>(List.of(session.tool("pg_restore"), "--no-password",
                        "--dbname=" + ToolSession.conninfo(name)));
                if (!plan.intoCluster().equals(backup.cluster())) {
                    argv.addAll(List.of("--no-owner", "--no-privileges"));
                }
                List<String> first = new ArrayList<>(argv);
                first.addAll(List.of("--exit-on-error", "--use-list=" + list, file.path().toString()));
                executor.run(ProcessSpec.of(first).environment(session.environment(null)).stderrLines(context::log),
                        context.cancellation());
                String foreignKeys = scratchList(toc, plan, true);
                if (!foreignKeys.isEmpty()) {
                    // a selected table's foreign key to a table whose rows were left out fails its check: it stays
                    // out, as the foreign keys to tables left behind do in any extraction
                    Path keys = work.resolve("scratch-keys.list");
                    Files.writeString(keys, foreignKeys, StandardCharsets.UTF_8);
                    List<String> second = new ArrayList<>(argv);
                    second.addAll(List.of("--use-list=" + keys, file.path().toString()));
                    executor.run(ProcessSpec.of(second).environment(session.environment(null)).okExitCodes(0, 1)
                            .stderrLines(line -> context.log(line.replace("pg_restore: error:",
                                    "pg_restore: (left out)"))), context.cancellation());
                }
            }
            return scratch;
        } catch (Exception e) {
            scratch.remove(context);
            throw e;
        }
    }

    /**
     * The dump's entries for the scratch database: every definition (cheap, and what the selection may need),
     * the rows of the selected tables only, and nothing that reaches outside the database (its own properties
     * and comment, publications, subscriptions). {@code foreignKeys}: instead, only the foreign keys of the
     * selected tables, restored apart (those to tables whose rows were left out fail their check).
     */
    static String scratchList(ArchiveToc toc, ExtractionPlan plan, boolean foreignKeys) {
        StringBuilder list = new StringBuilder();
        for (ArchiveToc.Entry e : toc.entries()) {
            String item = e.item();
            if (item.startsWith("DATABASE") || item.startsWith("COMMENT - DATABASE") || item.startsWith("PUBLICATION")
                    || item.startsWith("SUBSCRIPTION") || item.startsWith("SECURITY LABEL - DATABASE")
                    || item.startsWith("ACL - DATABASE")) {
                continue;
            }
            boolean key = e.is("FK CONSTRAINT");
            if (!plan.wholeDatabase() && (key != foreignKeys)) {
                continue;
            }
            if (key && !plan.wholeDatabase() && !selects(item.substring("FK CONSTRAINT ".length()), plan)) {
                continue;
            }
            boolean rows = e.is("TABLE DATA") || e.is("MATERIALIZED VIEW DATA");
            boolean largeObjects = e.is("BLOBS") || e.is("BLOB") || e.is("BLOB DATA") || e.is("LARGE OBJECT");
            if (!plan.wholeDatabase() && largeObjects) {
                continue;
            }
            if (rows && !plan.wholeDatabase() && !selects(item.substring(item.startsWith("TABLE DATA ")
                    ? "TABLE DATA ".length() : "MATERIALIZED VIEW DATA ".length()), plan)) {
                continue;
            }
            if (foreignKeys && plan.wholeDatabase()) {
                continue;
            }
            list.append(e.line()).append('\n');
        }
        return list.toString();
    }

    /** Whether "schema table ..." names a selected table (or one in a selected schema). */
    private static boolean selects(String rest, ExtractionPlan plan) {
        for (String schema : plan.schemas()) {
            if (rest.startsWith(schema + " ")) {
                return true;
            }
        }
        for (Names.Qualified t : plan.tables()) {
            if (rest.startsWith(t.schema() + " " + t.name() + " ")) {
                return true;
            }
        }
        return false;
    }

    // ---- the selection

    /**
     * Finds the selected tables in the scratch copy, drops the foreign keys that point from them to tables left
     * behind (the destination may not have those rows, or those tables), and moves them into the destination
     * schema when there is one. Returns the tables with their names on both sides.
     */
    private List<Selected> prepare(Connection c, ExtractionPlan plan, List<String> dropped, JobContext context)
            throws SQLException {
        c.setAutoCommit(false);
        List<Selected> selection = new ArrayList<>();
        if (!plan.tables().isEmpty()) {
            for (Names.Qualified t : plan.tables()) {
                try (PreparedStatement st = c.prepareStatement("select c.oid, c.relkind from pg_class c join "
                        + "pg_namespace n on n.oid = c.relnamespace where n.nspname = ? and c.relname = ? and "
                        + "c.relkind in " + TABLE_KINDS)) {
                    st.setString(1, t.schema());
                    st.setString(2, t.name());
                    try (ResultSet rs = st.executeQuery()) {
                        if (!rs.next()) {
                            throw new IllegalStateException("table " + t + " does not exist in database '"
                                    + plan.database() + "' at the recovered point; it was created later, or "
                                    + "dropped earlier");
                        }
                        selection.add(new Selected(rs.getLong(1), t, t, kind(rs.getString(2))));
                    }
                }
            }
        } else {
            try (PreparedStatement st = c.prepareStatement("select c.oid, n.nspname, c.relname, c.relkind from pg_class c "
                    + "join pg_namespace n on n.oid = c.relnamespace where c.relkind in " + TABLE_KINDS
                    + " and c.relpersistence <> 't' and n.nspname <> 'information_schema' and n.nspname not like "
                    + "'pg\\_%' and (cardinality(?::text[]) = 0 or n.nspname = any (?::text[])) order by 2, 3")) {
                Array schemas = c.createArrayOf("text", plan.schemas().toArray());
                st.setArray(1, schemas);
                st.setArray(2, schemas);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        Names.Qualified t = new Names.Qualified(rs.getString(2), rs.getString(3));
                        selection.add(new Selected(rs.getLong(1), t, t, kind(rs.getString(4))));
                    }
                }
            }
            for (String schema : plan.schemas()) {
                if (!exists(c, "select 1 from pg_namespace where nspname = ?", schema)) {
                    throw new IllegalStateException("schema " + Names.part(schema) + " does not exist in database '"
                            + plan.database() + "' at the recovered point");
                }
            }
        }
        try (Statement st = c.createStatement()) {
            if (!plan.wholeDatabase()) {
                Array oids = c.createArrayOf("bigint", selection.stream().map(Selected::oid).toArray());
                List<String[]> foreign = new ArrayList<>();
                try (PreparedStatement fk = c.prepareStatement("select format('%I.%I', n.nspname, r.relname), "
                        + "c.conname, fn.nspname || '.' || f.relname, n.nspname || '.' || r.relname "
                        + "from pg_constraint c join pg_class r on r.oid = c.conrelid "
                        + "join pg_namespace n on n.oid = r.relnamespace join pg_class f on f.oid = c.confrelid "
                        + "join pg_namespace fn on fn.oid = f.relnamespace "
                        + "where c.contype = 'f' and c.conrelid::bigint = any (?) and not (c.confrelid::bigint = any (?)) "
                        + "order by 1, 2")) {
                    fk.setArray(1, oids);
                    fk.setArray(2, oids);
                    try (ResultSet rs = fk.executeQuery()) {
                        while (rs.next()) {
                            foreign.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3),
                                    rs.getString(4)});
                        }
                    }
                }
                for (String[] f : foreign) {
                    st.execute("ALTER TABLE " + f[0] + " DROP CONSTRAINT " + Names.quote(f[1]));
                    dropped.add(f[3] + " " + f[1] + " (references " + f[2] + ")");
                    context.log("pgvault: left out foreign key " + f[1] + " of " + f[3] + ": it references " + f[2]
                            + ", which is not extracted");
                }
            }
            if (plan.intoSchema() != null) {
                String into = plan.intoSchema();
                List<Selected> moved = new ArrayList<>();
                if (!plan.schemas().isEmpty()) {
                    String from = plan.schemas().get(0);
                    if (!from.equals(into)) {
                        if (exists(c, "select 1 from pg_namespace where nspname = ?", into)) {
                            throw new IllegalStateException("schema " + Names.part(into) + " exists in the recovered "
                                    + "database too, so schema " + Names.part(from) + " cannot take its name there; "
                                    + "choose another into.schema");
                        }
                        st.execute("ALTER SCHEMA " + Names.quote(from) + " RENAME TO " + Names.quote(into));
                    }
                } else {
                    st.execute("CREATE SCHEMA IF NOT EXISTS " + Names.quote(into));
                }
                for (Selected s : selection) {
                    Names.Qualified moveTo = new Names.Qualified(into, s.source().name());
                    if (plan.schemas().isEmpty() && !s.source().schema().equals(into)) {
                        st.execute("ALTER " + s.kind().toUpperCase() + " " + s.source().sql() + " SET SCHEMA "
                                + Names.quote(into));
                    }
                    moved.add(new Selected(s.oid(), s.source(), moveTo, s.kind()));
                }
                selection = moved;
            }
        }
        c.commit();
        return selection;
    }

    private static String kind(String relkind) {
        return switch (relkind) {
            case "m" -> "materialized view";
            case "f" -> "foreign table";
            default -> "table";
        };
    }

    private static boolean exists(Connection c, String sql, String value) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, value);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    private void dump(Scratch scratch, ExtractionPlan plan, List<Selected> selection, Path file, JobContext context)
            throws Exception {
        List<String> argv = new ArrayList<>(List.of(scratch.tools().tool("pg_dump"), "--format=custom",
                "--no-password", "--file=" + file, "--no-publications", "--no-subscriptions"));
        if (!plan.schemas().isEmpty()) {
            List<String> schemas = plan.intoSchema() != null ? List.of(plan.intoSchema()) : plan.schemas();
            schemas.forEach(s -> argv.add("--schema=" + Names.quote(s)));
        } else if (!plan.tables().isEmpty()) {
            // quoted parts: pg_dump reads no character of them as a pattern character
            selection.forEach(s -> argv.add("--table=" + s.destination().sql()));
        }
        executor.run(ProcessSpec.of(argv).environment(scratch.environment()).stderrLines(context::log),
                context.cancellation());
        context.log(String.format("pgvault: dumped the selection from the scratch copy: %d bytes", Files.size(file)));
    }

    // ---- the destination

    private void restoreIntoDestination(ExtractionPlan plan, Path file, Path work, JobContext context)
            throws Exception {
        boolean createdDatabase = false;
        boolean createdSchema = false;
        try (ToolSession session = access.toolSession(plan.intoCluster())) {
            try {
                if (plan.createDatabase()) {
                    context.phase("creating database " + plan.intoDatabase());
                    execute(plan.intoCluster(), null, "CREATE DATABASE " + Names.quote(plan.intoDatabase())
                            + " TEMPLATE template0");
                    createdDatabase = true;
                    context.log("pgvault: created database '" + plan.intoDatabase() + "' on cluster '"
                            + plan.intoCluster() + "'");
                }
                Set<String> existing = schemas(plan.intoCluster(), plan.intoDatabase());
                if (plan.intoSchema() != null && plan.schemas().isEmpty() && !existing.contains(plan.intoSchema())) {
                    execute(plan.intoCluster(), plan.intoDatabase(), "CREATE SCHEMA " + Names.quote(plan.intoSchema()));
                    createdSchema = true;
                    context.log("pgvault: created schema " + plan.intoSchema() + " in database '" + plan.intoDatabase()
                            + "'");
                }
                ArchiveToc toc = ArchiveToc.list(executor, session.tool("pg_restore"), session.environment(null),
                        file, context.cancellation());
                Path list = work.resolve("destination.list");
                Files.writeString(list, toc.entries().stream()
                        .filter(e -> !(e.is("SCHEMA") && existing.stream().anyMatch(s -> !s.equals("public")
                                && (e.item().startsWith("SCHEMA - " + s + " ") || e.item().equals("SCHEMA - " + s)))))
                        .map(e -> e.line() + "\n").collect(Collectors.joining()), StandardCharsets.UTF_8);
                List<String> argv = new ArrayList<>(List.of(session.tool("pg_restore"), "--no-password",
                        "--exit-on-error", "--single-transaction", "--use-list=" + list,
                        "--dbname=" + ToolSession.conninfo(plan.intoDatabase())));
                if (plan.replace()) {
                    argv.addAll(List.of("--clean", "--if-exists"));
                }
                if (!plan.intoCluster().equals(context.cluster())) {
                    argv.addAll(List.of("--no-owner", "--no-privileges"));
                }
                argv.add(file.toString());
                context.phase("restoring into database '" + plan.intoDatabase() + "' on cluster '" + plan.intoCluster()
                        + "'" + (plan.replace() ? ", replacing what is there" : ""));
                executor.run(ProcessSpec.of(argv).environment(session.environment(null)).stderrLines(context::log),
                        context.cancellation());
            } catch (Exception e) {
                // the restore ran in one transaction: nothing of it is there; what pgvault created for it goes too
                undo(plan, createdDatabase, createdSchema, context);
                throw e;
            }
        }
    }

    private void undo(ExtractionPlan plan, boolean createdDatabase, boolean createdSchema, JobContext context) {
        try {
            if (createdDatabase) {
                dropDatabase(plan.intoCluster(), plan.intoDatabase());
                context.log("pgvault: dropped database '" + plan.intoDatabase() + "', which this extraction created");
            } else if (createdSchema) {
                execute(plan.intoCluster(), plan.intoDatabase(), "DROP SCHEMA IF EXISTS "
                        + Names.quote(plan.intoSchema()) + " RESTRICT");
                context.log("pgvault: dropped schema " + plan.intoSchema() + ", which this extraction created");
            }
        } catch (SQLException | RuntimeException e) {
            context.log("pgvault: could not remove what this extraction created: " + e.getMessage());
        }
    }

    private List<Map<String, Object>> count(ExtractionPlan plan, List<Selected> selection, String sourceCluster)
            throws SQLException {
        List<Map<String, Object>> tables = new ArrayList<>();
        try (Connection c = access.connect(plan.intoCluster(), plan.intoDatabase());
                Connection live = plan.compare() ? access.connect(sourceCluster, plan.database()) : null) {
            int counted = 0;
            for (Selected s : selection) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("table", s.source().toString());
                t.put("restoredAs", s.destination().toString());
                t.put("kind", s.kind());
                if (!s.kind().equals("foreign table") && counted++ < COUNT_LIMIT) {
                    t.put("rows", countRows(c, s.destination()));
                    if (live != null) {
                        t.put("liveRows", countRows(live, s.source()));
                    }
                }
                tables.add(t);
            }
        }
        return tables;
    }

    /** The table's row count, or null when it does not exist there. */
    private static Long countRows(Connection c, Names.Qualified table) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("select to_regclass(?) is not null")) {
            st.setString(1, table.sql());
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return null;
                }
            }
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select count(*) from " + table.sql())) {
            rs.next();
            return rs.getLong(1);
        }
    }

    // ---- helpers

    private Set<String> schemas(String cluster, String database) throws SQLException {
        Set<String> names = new java.util.HashSet<>();
        try (Connection c = access.connect(cluster, database); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select nspname from pg_namespace")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }

    /** Runs one statement in the database (null: the cluster's maintenance database). */
    private void execute(String cluster, String database, String sql) throws SQLException {
        String db = database != null ? database : access.target(cluster).maintenanceDatabase();
        try (Connection c = access.connect(cluster, db); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private void dropDatabase(String cluster, String name) throws SQLException {
        String maintenance = access.target(cluster).maintenanceDatabase();
        try (Connection c = access.connect(cluster, maintenance); Statement st = c.createStatement()) {
            boolean force = c.getMetaData().getDatabaseMajorVersion() >= 13;
            st.execute("DROP DATABASE IF EXISTS " + Names.quote(name) + (force ? " WITH (FORCE)" : ""));
        }
    }

    static String scratchDatabaseName(UUID jobId) {
        return SCRATCH_DATABASE_PREFIX + jobId.toString().replace("-", "");
    }

    private static String describe(ExtractionPlan plan) {
        if (!plan.tables().isEmpty()) {
            return "table(s) " + plan.tables().stream().map(Names.Qualified::toString).collect(Collectors.joining(", "));
        }
        if (!plan.schemas().isEmpty()) {
            return "schema(s) " + String.join(", ", plan.schemas());
        }
        return "the whole database";
    }

    private static String where(ExtractionPlan plan) {
        return (plan.intoSchema() == null ? "" : "schema " + plan.intoSchema() + " of ") + "database '"
                + plan.intoDatabase() + "' on cluster '" + plan.intoCluster() + "'";
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static double round(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }

    @Override
    public void abandon(Job job, String reason) {
        copies.removeLeftover(COPY_PREFIX, job.getId(), line -> log.info("{}", line));
        try {
            ExtractionPlan plan = json.readValue(job.getPayload(), ExtractionPlan.class);
            if (plan.fromDump()) {
                dropDatabase(plan.intoCluster(), scratchDatabaseName(job.getId()));
            }
        } catch (Exception e) {
            log.warn("Could not remove the scratch database of extraction {}: {}", job.getId(), e.toString());
        }
    }
}
