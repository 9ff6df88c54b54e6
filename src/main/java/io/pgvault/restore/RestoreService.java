package io.pgvault.restore;

import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupService;
import io.pgvault.backup.BackupStatus;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.DumpFormat;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterTarget;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.recovery.RecoveryService;
import io.pgvault.security.Caller;
import io.pgvault.security.Role;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/** Checks a restore request against the backup and the target, then queues it. */
@Service
public class RestoreService {

    private final BackupService backups;
    private final ClusterAccess clusters;
    private final JobService jobs;
    private final JsonMapper json;
    private final RecoveryService recoveries;

    RestoreService(BackupService backups, ClusterAccess clusters, JobService jobs, JsonMapper json,
            RecoveryService recoveries) {
        this.recoveries = recoveries;
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
            Caller.require(Role.ADMIN, "replaying a cluster dump (DUMP_ALL) into a running cluster");
        } else {
            checkDump(backup, spec, source, target);
            if (!spec.createDatabase() || spec.overwrite() || spec.clean()) {
                // OPERATOR restores to new targets only: a database created by the restore itself
                Caller.require(Role.ADMIN, "a restore into an existing database (without createDatabase, or with "
                        + "overwrite or clean)");
            }
            if (!spec.createDatabase()) {
                // only once the caller may restore there at all: the answer tells what the database holds
                ExistingDatabase.checkRestorable(clusters, target.name(), spec.targetDatabase(), spec,
                        !backup.format().isArchive());
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
