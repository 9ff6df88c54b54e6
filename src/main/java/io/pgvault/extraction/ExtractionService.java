package io.pgvault.extraction;

import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.api.NotFoundException;
import io.pgvault.backup.BackupContents;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupStatus;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.RelationTree;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterService;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.recovery.RecoveryService;
import io.pgvault.recovery.RecoveryTarget;
import io.pgvault.wal.ArchiveSummary;
import io.pgvault.wal.WalArchiveService;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks an extraction before anything starts: the backup and WAL that reach the target, the database, tables
 * and schemas by name against what the backup holds (with close matches for a typo), and a destination that
 * does not clash with anything live unless {@code replace} says so. Then queues it, or only tells what it
 * would do.
 */
@Service
public class ExtractionService {

    static final String PREFIX = "pgvault_recovered_";
    /** Where an extraction does not go unless an ADMIN asks (allowSystemDatabase). */
    private static final Set<String> SYSTEM_DATABASES = Set.of("template0", "template1", "postgres");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss");
    private final ClusterService clusters;
    private final ClusterAccess access;
    private final BackupCatalog backups;
    private final BackupContents contents;
    private final RecoveryService recoveries;
    private final WalArchiveService wal;
    private final JobService jobs;
    private final JsonMapper json;
    private final Clock clock;
    private final ExtractionChecks checks;

    ExtractionService(ClusterService clusters, ClusterAccess access, BackupCatalog backups, BackupContents contents,
            RecoveryService recoveries, WalArchiveService wal, JobService jobs, JsonMapper json, Clock clock,
            ExtractionChecks checks) {
        this.checks = checks;
        this.clusters = clusters;
        this.access = access;
        this.backups = backups;
        this.contents = contents;
        this.recoveries = recoveries;
        this.wal = wal;
        this.jobs = jobs;
        this.json = json;
        this.clock = clock;
    }

    /** A queued job, or (dryRun) what it would do. */
    public record Outcome(JobView job, ExtractionPreview preview) {
    }

    @Transactional
    public Outcome start(String cluster, ExtractionSpec spec, boolean previewOnly) {
        clusters.get(cluster);
        if (spec == null) {
            throw new InvalidRequestException("a request body is required: target (or backupId), database, and "
                    + "tables or schemas (neither: the whole database)");
        }
        // retention waits until this extraction is queued (and then keeps its backup and WAL)
        clusters.lockArchive(cluster);
        Planned planned = plan(cluster, spec);
        if (previewOnly || Boolean.TRUE.equals(spec.dryRun())) {
            return new Outcome(null, preview(cluster, planned));
        }
        // a scratch server's directory: on the cluster's data host when it names one (a DUMP needs no directory)
        String placement = planned.plan().fromDump() ? null : clusters.get(cluster).dataHost();
        return new Outcome(jobs.submit(JobType.EXTRACTION, cluster, planned.plan().backupId(),
                json.writeValueAsString(planned.plan()), placement), null);
    }

    /** The plan and what the checks found on the way: clashes, and the recorded relations of the database. */
    private record Planned(ExtractionPlan plan, BackupView backup, List<String> replaces,
            List<BackupContents.Relation> relations) {
    }

    private Planned plan(String cluster, ExtractionSpec spec) {
        List<Names.Qualified> tables = new ArrayList<>(new LinkedHashSet<>(parse(spec.tables(), "tables",
                t -> Names.table("tables", t))));
        List<String> schemas = new ArrayList<>(new LinkedHashSet<>(parse(spec.schemas(), "schemas",
                s -> Names.schema("schemas", s))));
        RecoveryTarget target = spec.target();

        BackupView dump = null;
        RecoveryService.PointPlan point = null;
        if (spec.backupId() != null) {
            BackupView chosen = backups.lookup(spec.backupId()).orElseThrow(() -> new InvalidRequestException(
                    "backupId", "no backup with id " + spec.backupId()));
            if (!chosen.cluster().equals(cluster)) {
                throw new InvalidRequestException("backupId", "backup " + chosen.id() + " is a backup of cluster '"
                        + chosen.cluster() + "', not of '" + cluster + "'");
            }
            if (chosen.kind() == BackupKind.DUMP) {
                if (target != null && !Boolean.TRUE.equals(target.latest())) {
                    throw new InvalidRequestException("target", "a DUMP holds one moment, the one it was taken at: "
                            + "leave target out (or latest: true), or name a BASE backup to recover to a target");
                }
                dump = usableDump(chosen);
            } else if (chosen.kind() == BackupKind.BASE) {
                point = recoveries.planPoint(cluster, target != null ? target : immediate(), null, null, chosen.id());
            } else {
                throw new InvalidRequestException("backupId", "backup " + chosen.id() + " is a DUMP_ALL (a SQL script "
                        + "of the whole cluster), which cannot be taken apart; use a BASE or an archive-format DUMP");
            }
        } else {
            if (target == null) {
                throw new InvalidRequestException("target", "target is required (one of time, lsn, xid, name, "
                        + "latest: true or immediate: true), or name a backup with backupId");
            }
            BackupView newestDump = Boolean.TRUE.equals(target.latest()) && spec.database() != null
                    ? newestDump(cluster, spec.database()) : null;
            if (newestDump != null && dumpIsNewer(cluster, newestDump)) {
                dump = newestDump;
            } else {
                point = recoveries.planPoint(cluster, target, null, null, null);
            }
        }
        BackupView backup = dump != null ? dump : point.backup();
        String database = spec.database() != null ? spec.database() : dump != null ? dump.database() : null;
        if (database == null) {
            throw new InvalidRequestException("database", "database is required: the database to extract from");
        }
        if (dump != null && !database.equals(dump.database())) {
            throw new InvalidRequestException("database", "backup " + dump.id() + " is a dump of database '"
                    + dump.database() + "', not '" + database + "'");
        }
        List<BackupContents.Relation> relations = checks.checkNames(cluster, backup, dump != null, database, tables,
                schemas);
        // the named tables' partitions and inheritance children come too, and may clash too
        List<Names.Qualified> trees = ExtractionChecks.trees(relations, tables, List.of());

        ExtractionSpec.Into into = spec.into() != null ? spec.into() : new ExtractionSpec.Into(null, null, null);
        String intoCluster = into.cluster() != null ? into.cluster() : cluster;
        try {
            clusters.get(intoCluster);
        } catch (NotFoundException e) {
            throw new InvalidRequestException("into.cluster", "no cluster named '" + intoCluster + "' is registered"
                    + Names.didYouMean(intoCluster, clusters.list().stream().map(io.pgvault.cluster.ClusterView::name).toList()));
        }
        boolean whole = tables.isEmpty() && schemas.isEmpty();
        String stamp = STAMP.format((target != null && target.time() != null ? target.time().toInstant()
                : dump != null ? dump.finishedAt() : clock.instant()).atOffset(ZoneOffset.UTC));
        String intoSchema = into.schema();
        String intoDatabase = into.database();
        if (intoSchema != null) {
            Names.checkIdentifier("into.schema", intoSchema);
        }
        boolean databaseExists;
        if (whole) {
            if (intoSchema != null) {
                throw new InvalidRequestException("into.schema", "a whole database keeps its schemas: name "
                        + "into.database (a new database) instead, or select tables or one schema to put into a schema");
            }
            if (intoDatabase == null) {
                intoDatabase = freeDatabaseName(intoCluster, PREFIX + stamp);
                databaseExists = false;
            } else {
                databaseExists = access.databaseExists(intoCluster, intoDatabase);
            }
        } else {
            if (intoDatabase == null) {
                intoDatabase = database;
            }
            databaseExists = access.databaseExists(intoCluster, intoDatabase);
            if (intoSchema == null && into.database() == null && into.cluster() == null) {
                intoSchema = databaseExists ? freeSchemaName(intoCluster, intoDatabase, PREFIX + stamp)
                        : PREFIX + stamp;
            }
            if (intoSchema != null && (schemas.size() > 1 || (!schemas.isEmpty() && !tables.isEmpty()))) {
                throw new InvalidRequestException("into.schema", "into.schema takes the selected tables, or exactly "
                        + "one selected schema; to keep several schemas apart, name into.database (they keep their "
                        + "names there) or extract them one at a time");
            }
            if (intoSchema != null) {
                Set<String> seen = new java.util.HashSet<>();
                for (Names.Qualified t : trees.isEmpty() ? tables : trees) {
                    if (!seen.add(t.name())) {
                        throw new InvalidRequestException("tables", "two selected tables (or partitions of them) "
                                + "are named '" + t.name() + "'; they cannot both go into schema " + intoSchema
                                + ": extract them one at a time, or name into.database (tables keep their schemas)");
                    }
                }
            }
        }
        Names.checkIdentifier("into.database", intoDatabase);
        if (SYSTEM_DATABASES.contains(intoDatabase) && !Boolean.TRUE.equals(spec.allowSystemDatabase())) {
            throw new InvalidRequestException("into.database", "the destination would be the system database '"
                    + intoDatabase + "'" + (into.database() == null ? " (the source database, the default)" : "")
                    + ": tables put into template0 or template1 come with every database created afterwards, and "
                    + "postgres is every tool's first connection; name another into.database (created when missing)"
                    + ", or, as ADMIN, set \"allowSystemDatabase\": true");
        }

        boolean replace = Boolean.TRUE.equals(spec.replace());
        boolean createSchema = false;
        List<String> clashes = List.of();
        if (databaseExists) {
            if (intoSchema != null) {
                createSchema = !checks.schemaExists(intoCluster, intoDatabase, intoSchema);
                if (!createSchema) {
                    String schema = intoSchema;
                    List<String> names = trees.stream().map(t -> schema + "." + t.name()).toList();
                    clashes = checks.relations(intoCluster, intoDatabase, List.of(intoSchema), names);
                }
            } else {
                clashes = checks.relations(intoCluster, intoDatabase, schemas,
                        trees.stream().map(t -> t.schema() + "." + t.name()).toList());
            }
        } else {
            createSchema = intoSchema != null;
        }
        if (!clashes.isEmpty() && !replace) {
            String where = intoSchema != null ? "schema " + intoSchema + " of database '" + intoDatabase + "'"
                    : "database '" + intoDatabase + "'";
            throw new ConflictException(where + " on cluster '" + intoCluster + "' already holds "
                    + String.join(", ", clashes) + (clashes.size() == 20 ? ", ..." : "") + ", which the extraction "
                    + "would create. Choose another into.schema or into.database (the default is a new schema "
                    + PREFIX + "<time>), or set \"replace\": true (ADMIN) to drop and replace them");
        }
        if (dump != null && !whole) {
            checks.checkNeeds(dump, database, ExtractionChecks.trees(relations, tables, schemas), schemas, intoCluster,
                    intoDatabase, databaseExists);
        }
        ExtractionPlan plan = new ExtractionPlan(dump != null ? "DUMP" : "BASE", backup.id(),
                point == null ? null : point.target(), point == null || point.inclusive(),
                point == null ? null : point.timeline(), point == null ? null : point.walFrom(),
                point == null ? null : point.walTo(), point == null ? List.of() : point.promised(), database, tables,
                schemas, intoCluster, intoDatabase, intoSchema, !databaseExists, createSchema, replace,
                Boolean.TRUE.equals(spec.compare()), Boolean.TRUE.equals(spec.keepFailed()));
        return new Planned(plan, backup, clashes, relations);
    }

    /** The default name, or with _2, _3... when an earlier extraction to the same point took it. */
    private String freeSchemaName(String cluster, String database, String name) {
        String candidate = name;
        for (int i = 2; checks.schemaExists(cluster, database, candidate); i++) {
            candidate = name + "_" + i;
        }
        return candidate;
    }

    private String freeDatabaseName(String cluster, String name) {
        String candidate = name;
        for (int i = 2; access.databaseExists(cluster, candidate); i++) {
            candidate = name + "_" + i;
        }
        return candidate;
    }

    private static <T> List<T> parse(List<String> values, String field, java.util.function.Function<String, T> parser) {
        if (values == null) {
            return List.of();
        }
        if (values.size() > 1000) {
            throw new InvalidRequestException(field, "at most 1000 names");
        }
        return values.stream().map(parser).toList();
    }

    private static RecoveryTarget immediate() {
        return new RecoveryTarget(null, null, null, null, null, true);
    }

    private static BackupView usableDump(BackupView dump) {
        if (dump.status() != BackupStatus.SUCCEEDED) {
            throw new ConflictException("backup " + dump.id() + " is " + dump.status() + "; only a SUCCEEDED backup "
                    + "can be extracted from");
        }
        if (!dump.format().isArchive()) {
            throw new InvalidRequestException("backupId", "backup " + dump.id() + " is a PLAIN dump (a SQL script), "
                    + "which cannot be taken apart by table; restore it whole, or use a CUSTOM, DIRECTORY or TAR dump");
        }
        return dump;
    }

    /** The newest successful archive-format dump of the database, or null. */
    private BackupView newestDump(String cluster, String database) {
        return backups.succeeded(cluster).stream()
                .filter(b -> b.kind() == BackupKind.DUMP && database.equals(b.database()) && b.format().isArchive()
                        && b.spec().tables().isEmpty() && b.spec().schemas().isEmpty() && !b.spec().schemaOnly()
                        && !b.spec().dataOnly())
                .max(Comparator.comparing(BackupView::finishedAt)).orElse(null);
    }

    /**
     * For "latest": the dump when it holds newer data than any recovery could reach (no BASE backup with archived
     * WAL, or the dump ended after the newest archived WAL).
     */
    private boolean dumpIsNewer(String cluster, BackupView dump) {
        ArchiveSummary.RecoveryWindow window = wal.summary(cluster).recoveryWindow();
        if (window == null || window.endTime() == null) {
            return true;
        }
        return dump.finishedAt().isAfter(window.endTime());
    }

    private ExtractionPreview preview(String cluster, Planned planned) {
        ExtractionPlan plan = planned.plan();
        ClusterService.MeasuredRto rto = clusters.measuredRto(cluster);
        Double expected = null;
        String from;
        if (plan.fromDump()) {
            from = "a DUMP extraction restores only the selection; no restore drill measures that";
        } else if (rto == null) {
            from = "no restore drill of cluster '" + cluster + "' has passed yet: verify a BASE backup with "
                    + "{\"level\": \"RESTORE\"} to measure the RTO";
        } else {
            expected = rto.seconds();
            from = String.format("the newest restore drill that passed took %.1f s (backup %s, %s); replaying WAL to "
                    + "the target and dumping the selection come on top", rto.seconds(), rto.backupId(),
                    rto.drilledAt());
        }
        Instant finished = planned.backup().finishedAt();
        return new ExtractionPreview(plan.source(), plan.backupId(), finished,
                plan.target() == null ? null : plan.target().toString(), plan.walFrom(), plan.walTo(),
                plan.database(), plan.tables().stream().map(Names.Qualified::toString).toList(), plan.schemas(),
                plan.intoCluster(), plan.intoDatabase(), plan.intoSchema(), plan.createDatabase(), plan.createSchema(),
                planned.replaces(), expected, from, selection(planned));
    }

    /**
     * The selection as the backup recorded it: each named table (or each table of the named schemas, or of the
     * database) that is not a partition of another selected one, with its tree and rows per partition.
     */
    private List<RelationTree.Node> selection(Planned planned) {
        ExtractionPlan plan = planned.plan();
        List<BackupContents.Relation> relations = planned.relations();
        Map<String, Long> rows = new LinkedHashMap<>();
        if (plan.fromDump()) {
            backups.tableRows(plan.backupId()).forEach(t -> rows.put(t.schema() + "." + t.table(), t.rows()));
        }
        List<String> roots = new ArrayList<>();
        if (!plan.tables().isEmpty()) {
            plan.tables().forEach(t -> roots.add(t.schema() + "." + t.name()));
        } else {
            relations.stream().filter(r -> r.isTable() && (plan.wholeDatabase() || plan.schemas().contains(r.schema()))
                    && (r.parent() == null || !(plan.wholeDatabase() || plan.schemas().contains(r.parentSchema()))))
                    .limit(1000).forEach(r -> roots.add(r.qualifiedName()));
        }
        return roots.stream().map(t -> RelationTree.of(t, relations, rows)).filter(java.util.Objects::nonNull)
                .toList();
    }
}
