package io.pgvault.restore;

import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.BackupContents;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupStatus;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.CatalogObjects;
import io.pgvault.backup.TableNeeds;
import io.pgvault.backup.DumpFormat;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterTarget;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.recovery.RecoveryService;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/** Checks a restore request against the backup and the target, then queues it. */
@Service
public class RestoreService {

    private final BackupCatalog backups;
    private final ClusterAccess clusters;
    private final JobService jobs;
    private final JsonMapper json;
    private final RecoveryService recoveries;
    private final BackupContents contents;
    private final TableNeeds needs;

    RestoreService(BackupCatalog backups, ClusterAccess clusters, JobService jobs, JsonMapper json,
            RecoveryService recoveries, BackupContents contents, TableNeeds needs) {
        this.recoveries = recoveries;
        this.contents = contents;
        this.needs = needs;
        this.backups = backups;
        this.clusters = clusters;
        this.jobs = jobs;
        this.json = json;
    }

    /** Where a BASE backup is restored to: a new data directory, and the port to start it on. */
    public record BaseTarget(String dataDirectory, Integer port, Boolean start) {

        boolean isEmpty() {
            return dataDirectory == null && port == null && start == null;
        }
    }

    /**
     * Whether this restore only makes something new, which is what OPERATOR may do (the controller's
     * {@code @PreAuthorize} asks): a DUMP into a database the restore creates, without overwrite or clean, or a
     * BASE backup into a new data directory. A cluster dump (DUMP_ALL) replays roles and databases into a running
     * cluster: never new. An unknown backup (or none yet: the check before the body is read) counts as new, so
     * that the restore itself answers for it (404).
     */
    @Transactional(readOnly = true)
    public boolean toNewTarget(UUID backupId, RestoreSpec request) {
        if (backupId == null) {
            return true;
        }
        BackupKind kind = backups.lookup(backupId).map(BackupView::kind).orElse(null);
        if (kind == null || kind == BackupKind.BASE) {
            return true;
        }
        return kind == BackupKind.DUMP && request != null && request.createDatabase() && !request.overwrite()
                && !request.clean();
    }

    @Transactional
    public JobView start(UUID backupId, RestoreSpec request, BaseTarget base) {
        BackupView backup = backups.get(backupId);
        if (backup.status() != BackupStatus.SUCCEEDED) {
            throw new ConflictException("backup " + backupId + " is " + backup.status() + "; only a SUCCEEDED "
                    + "backup can be restored");
        }
        if (backup.kind() == BackupKind.BASE) {
            if (!request.equals(RestoreSpec.EMPTY)) {
                throw new InvalidRequestException("a BASE backup is restored as a whole cluster into dataDirectory; "
                        + "targetCluster, targetDatabase and the pg_restore options apply to DUMP and DUMP_ALL");
            }
            return recoveries.restoreBase(backupId, base.dataDirectory(), base.port(), base.start());
        }
        if (!base.isEmpty()) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory, port and start apply to BASE backups; "
                    + "a " + backup.kind() + " is restored into a database (targetDatabase)");
        }
        RestoreSpec spec = request.withTargetCluster(
                request.targetCluster() == null ? backup.cluster() : request.targetCluster());
        ClusterTarget source = clusters.target(backup.cluster());
        ClusterTarget target = clusters.target(spec.targetCluster());
        if (spec.schemaOnly() && spec.dataOnly()) {
            throw new InvalidRequestException("dataOnly", "schemaOnly and dataOnly cannot be combined");
        }
        if (backup.kind() == BackupKind.DUMP_ALL) {
            checkDumpAll(spec, source, target);
        } else {
            checkDump(backup, spec, source, target);
            List<TableChoice.Chosen> chosen = spec.tables().isEmpty() ? List.of()
                    : TableChoice.resolve(spec.tables(), contents.of(backup), null);
            if (!spec.createDatabase()) {
                // only once the caller may restore there at all: the answer tells what the database holds
                ExistingDatabase.checkRestorable(clusters, target.name(), spec.targetDatabase(), spec,
                        !backup.format().isArchive(), chosen.stream().map(TableChoice.Chosen::qualified).toList());
            }
            if (!chosen.isEmpty()) {
                checkNeeds(backup, spec, target, chosen);
            }
        }
        return jobs.submit(JobType.RESTORE, target.name(), backupId, json.writeValueAsString(spec));
    }

    private void checkDump(BackupView backup, RestoreSpec spec, ClusterTarget source, ClusterTarget target) {
        String db = spec.targetDatabase();
        if (db == null || db.isBlank()) {
            throw new InvalidRequestException("targetDatabase", "targetDatabase is required");
        }
        if (db.length() > 63 || db.chars().anyMatch(c -> c < 0x20 || c == 0x7f) || db.startsWith("-")) {
            throw new InvalidRequestException("targetDatabase",
                    "targetDatabase must be at most 63 characters, without control characters or a leading '-'");
        }
        if (source.sameServerAs(target) && db.equals(backup.database()) && !spec.overwrite()) {
            throw new ConflictException("the target is the backup's own source database '" + db + "' on cluster '"
                    + target.name() + "'; set \"overwrite\": true to restore over it");
        }
        boolean exists = clusters.databaseExists(target.name(), db);
        if (spec.createDatabase() && exists) {
            throw new ConflictException("database '" + db + "' already exists on cluster '" + target.name()
                    + "'; restore into it without createDatabase (with clean to replace objects)");
        }
        if (!spec.createDatabase() && !exists) {
            throw new InvalidRequestException("targetDatabase", "database '" + db + "' does not exist on cluster '"
                    + target.name() + "'; set \"createDatabase\": true to create it");
        }
        DumpFormat format = backup.format();
        if (spec.jobs() != null) {
            if (format != DumpFormat.CUSTOM && format != DumpFormat.DIRECTORY) {
                throw new InvalidRequestException("jobs", "parallel restore (jobs) needs a CUSTOM or DIRECTORY backup");
            }
            if (spec.jobs() < 1 || spec.jobs() > 64) {
                throw new InvalidRequestException("jobs", "jobs must be from 1 to 64");
            }
        }
        if (!format.isArchive() && (spec.clean() || spec.noOwner() || spec.noPrivileges() || !spec.tables().isEmpty()
                || spec.schemaOnly() || spec.dataOnly())) {
            throw new InvalidRequestException("format", "a PLAIN dump is replayed as is with psql; clean, noOwner, "
                    + "noPrivileges, tables, schemaOnly and dataOnly need an archive format (CUSTOM, DIRECTORY, TAR)");
        }
        for (String t : spec.tables()) {
            if (t == null || t.isBlank() || t.startsWith("-") || t.chars().anyMatch(c -> c < 0x20)) {
                throw new InvalidRequestException("tables", "tables: names must be non-empty, may not start with '-' "
                        + "and may not contain control characters");
            }
        }
        if (!spec.tables().isEmpty() && spec.jobs() != null) {
            throw new InvalidRequestException("jobs", "a restore of some tables runs in one transaction (it lands "
                    + "whole or not at all, its row counts checked before it commits), which cannot be parallel: "
                    + "leave jobs out");
        }
    }

    /**
     * The named tables exist in the backup (with their trees), and whatever they need that the target lacks is in
     * the backup to come along; else the restore is refused, naming each missing object, before anything starts.
     */
    private void checkNeeds(BackupView backup, RestoreSpec spec, ClusterTarget target,
            List<TableChoice.Chosen> chosen) {
        if (spec.dataOnly()) {
            return;
        }
        Set<String> names = new HashSet<>();
        chosen.forEach(c -> names.add(c.qualified()));
        // a missing schema is made by the restore; what else is missing must be in the backup
        List<TableNeeds.Need> wanted = needs.recorded(backup.id(), backup.database()).stream()
                .filter(n -> names.contains(n.qualifiedTable()) && !n.object().kind().equals("schema")).toList();
        if (wanted.isEmpty()) {
            return;
        }
        Set<CatalogObjects.Ref> missing;
        if (spec.createDatabase()) {
            missing = new HashSet<>();
            wanted.stream().map(TableNeeds.Need::object).forEach(missing::add);
        } else {
            try (Connection c = clusters.connect(target.name(), spec.targetDatabase())) {
                missing = CatalogObjects.missing(c, wanted.stream().map(TableNeeds.Need::object).toList());
            } catch (SQLException e) {
                throw new InvalidRequestException("targetDatabase", "cannot read what database '"
                        + spec.targetDatabase() + "' on cluster '" + target.name() + "' holds: " + e.getMessage());
            }
        }
        Map<String, List<String>> lacking = new TreeMap<>();
        for (TableNeeds.Need n : wanted) {
            if (missing.contains(n.object()) && !n.archived()) {
                lacking.computeIfAbsent(n.object().toString(), o -> new ArrayList<>()).add(n.qualifiedTable());
            }
        }
        if (!lacking.isEmpty()) {
            throw new ConflictException("database '" + spec.targetDatabase() + "' on cluster '" + target.name()
                    + "' lacks what the tables need, and backup " + backup.id() + " does not hold it (a DUMP of named "
                    + "tables holds no types or functions): " + lacking.entrySet().stream()
                    .map(e -> e.getKey() + " (needed by " + String.join(", ", e.getValue()) + ")")
                    .collect(Collectors.joining(", ")) + ". Create them first, or restore from a backup that holds "
                    + "them");
        }
    }

    private static void checkDumpAll(RestoreSpec spec, ClusterTarget source, ClusterTarget target) {
        if (spec.targetDatabase() != null) {
            throw new InvalidRequestException("targetDatabase",
                    "a DUMP_ALL restores every database under its own name; leave targetDatabase out");
        }
        if (spec.createDatabase() || spec.clean() || spec.noOwner() || spec.noPrivileges() || spec.jobs() != null
                || !spec.tables().isEmpty() || spec.schemaOnly() || spec.dataOnly()) {
            throw new InvalidRequestException("a DUMP_ALL script is replayed as is with psql; restore options "
                    + "do not apply");
        }
        if (source.sameServerAs(target) && !spec.overwrite()) {
            throw new ConflictException("the target is the backup's own source cluster '" + target.name()
                    + "'; set \"overwrite\": true to replay the cluster dump over it");
        }
    }
}
