package io.pgvault.recovery;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupService;
import io.pgvault.backup.BackupStatus;
import io.pgvault.backup.BackupView;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.cluster.LocalPostgres;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.wal.ArchivedSegments;
import io.pgvault.wal.Lsn;
import io.pgvault.wal.WalArchiveService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks a recovery before anything is written: the target, the directory, the base backup to start from,
 * and that the archive holds every WAL segment from the backup's end up to the target. Then queues it.
 */
@Service
public class RecoveryService {

    private static final Pattern MAJOR = Pattern.compile("^(\\d+)");

    private final ClusterService clusters;
    private final BackupService backups;
    private final WalArchiveService wal;
    private final LocalPostgres postgres;
    private final JobService jobs;
    private final JsonMapper json;
    private final Clock clock;
    private final Path storageRoot;

    RecoveryService(ClusterService clusters, BackupService backups, WalArchiveService wal, LocalPostgres postgres,
            JobService jobs, JsonMapper json, Clock clock, PgvaultProperties properties) {
        this.clusters = clusters;
        this.backups = backups;
        this.wal = wal;
        this.postgres = postgres;
        this.jobs = jobs;
        this.json = json;
        this.clock = clock;
        this.storageRoot = properties.storage().local().root().toAbsolutePath().normalize();
    }

    @Transactional
    public JobView start(String cluster, RecoverySpec spec) {
        ClusterView view = clusters.get(cluster);
        RecoveryPlan plan = plan(view, spec);
        return jobs.submit(JobType.RECOVERY, cluster, plan.backupId(), json.writeValueAsString(plan));
    }

    /** A BASE backup restored as it was at its end: a recovery to {@code immediate} from that backup. */
    @Transactional
    public JobView restoreBase(UUID backupId, String dataDirectory, Integer port, Boolean start) {
        BackupView backup = backups.get(backupId);
        return start(backup.cluster(), new RecoverySpec(new RecoveryTarget(null, null, null, null, null, true), null,
                RecoveryAction.PROMOTE, null, backupId, dataDirectory, port, start, false));
    }

    private RecoveryPlan plan(ClusterView cluster, RecoverySpec spec) {
        if (spec.target() == null) {
            throw new InvalidRequestException("target", "target is required: one of time, lsn, xid, name, "
                    + "latest: true or immediate: true");
        }
        RecoveryTarget target = spec.target();
        target.validate();
        if (target.time() != null && target.time().toInstant().isAfter(clock.instant())) {
            throw new InvalidRequestException("target.time", "target time " + target.time() + " is in the future");
        }
        if (target.isLatest() && spec.action() != null) {
            throw new InvalidRequestException("action", "a recovery to latest replays all WAL and then promotes; "
                    + "action applies to the other targets");
        }
        String timeline = timeline(spec.timeline());
        boolean replace = Boolean.TRUE.equals(spec.replaceExisting());
        Path directory = directory(spec.dataDirectory(), replace);
        if (spec.port() != null && (spec.port() < 1 || spec.port() > 65535)) {
            throw new InvalidRequestException("port", "port must be from 1 to 65535");
        }
        BackupView backup = chooseBackup(cluster.name(), spec.backupId(), target);
        postgres.requireRecoveryTools(major(backup.serverVersion()));
        String[] range = checkWal(cluster.name(), backup, target);
        return new RecoveryPlan(target, spec.inclusive() == null || spec.inclusive(),
                spec.action() == null ? RecoveryAction.PROMOTE : spec.action(), timeline, backup.id(),
                directory.toString(), spec.port(), spec.start() == null || spec.start(), replace, range[0], range[1]);
    }

    private static String timeline(String timeline) {
        if (timeline == null) {
            return "latest";
        }
        if (timeline.equals("latest") || timeline.equals("current") || timeline.matches("^[1-9][0-9]{0,9}$")) {
            return timeline;
        }
        throw new InvalidRequestException("timeline", "timeline is latest, current or a timeline number");
    }

    /** An absolute path, not inside pgvault's storage, empty or new unless replacing a data directory. */
    private Path directory(String value, boolean replace) {
        if (value == null || value.isBlank()) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory is required: where to recover to");
        }
        if (value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory may not contain control characters");
        }
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory is not a valid path");
        }
        if (!path.isAbsolute() || !path.normalize().equals(path) || value.contains("/./") || value.contains("/../")) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory must be an absolute, normalized path");
        }
        if (path.getParent() == null) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory may not be /");
        }
        if (path.startsWith(storageRoot) || storageRoot.startsWith(path)) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory may not be inside pgvault's own "
                    + "storage (" + storageRoot + ") or contain it");
        }
        if (Files.exists(path) && !Files.isDirectory(path)) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory exists and is not a directory");
        }
        if (!isEmpty(path)) {
            if (!replace) {
                throw new ConflictException("dataDirectory " + path + " is not empty. To recover a cluster in place "
                        + "say \"replaceExisting\": true: pgvault stops its server and moves the directory aside "
                        + "(it never deletes it)");
            }
            if (!Files.exists(path.resolve("PG_VERSION"))) {
                throw new ConflictException("dataDirectory " + path + " is not empty and is not a PostgreSQL data "
                        + "directory (no PG_VERSION); pgvault only replaces data directories");
            }
        }
        return path;
    }

    static boolean isEmpty(Path path) {
        if (!Files.exists(path)) {
            return true;
        }
        try (Stream<Path> children = Files.list(path)) {
            return children.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The backup asked for, or the newest one that ends before the target. */
    private BackupView chooseBackup(String cluster, UUID backupId, RecoveryTarget target) {
        List<BackupView> candidates = backups.baseBackups(cluster);
        if (backupId != null) {
            BackupView backup = backups.get(backupId);
            if (!backup.cluster().equals(cluster) || backup.kind() != BackupKind.BASE) {
                throw new InvalidRequestException("backupId", "backup " + backupId + " is not a BASE backup of "
                        + "cluster '" + cluster + "'");
            }
            if (backup.status() != BackupStatus.SUCCEEDED || backup.lastWal() == null) {
                throw new ConflictException("backup " + backupId + " is " + backup.status()
                        + "; only a SUCCEEDED BASE backup can be recovered");
            }
            if (!endsBefore(backup, target)) {
                throw new InvalidRequestException("target", "the target (" + target + ") is before the end of backup "
                        + backupId + " (" + backup.stopLsn() + ", " + backup.finishedAt() + "); a recovery cannot "
                        + "stop before its base backup is consistent");
            }
            return backup;
        }
        if (candidates.isEmpty()) {
            throw new ConflictException("cluster '" + cluster + "' has no successful BASE backup to recover from; "
                    + "take one with {\"kind\": \"BASE\"}");
        }
        if (target.xid() != null || target.name() != null) {
            // where a transaction or a restore point lies is only known by replaying up to it: start from the
            // oldest backup whose WAL chain is whole, so the target cannot lie before the backup chosen
            for (BackupView b : candidates) {
                if (walComplete(cluster, b, target)) {
                    return b;
                }
            }
            return candidates.get(candidates.size() - 1);
        }
        return candidates.stream().filter(b -> endsBefore(b, target))
                .max(Comparator.comparing(BackupView::finishedAt))
                .orElseThrow(() -> new InvalidRequestException("target", "the target (" + target + ") is before the "
                        + "end of the oldest BASE backup (" + candidates.get(0).id() + ", ended at "
                        + candidates.get(0).stopLsn() + ", " + candidates.get(0).finishedAt()
                        + "); nothing can recover to it"));
    }

    private boolean walComplete(String cluster, BackupView backup, RecoveryTarget target) {
        try {
            checkWal(cluster, backup, target);
            return true;
        } catch (ConflictException e) {
            return false;
        }
    }

    private static int major(String serverVersion) {
        Matcher m = MAJOR.matcher(serverVersion == null ? "" : serverVersion);
        if (!m.find()) {
            throw new IllegalStateException("cannot read a major version from '" + serverVersion + "'");
        }
        return Integer.parseInt(m.group(1));
    }

    private static boolean endsBefore(BackupView backup, RecoveryTarget target) {
        if (target.time() != null) {
            return !backup.finishedAt().isAfter(target.time().toInstant());
        }
        if (target.lsn() != null) {
            return Lsn.parse(backup.stopLsn()).compareTo(Lsn.parse(target.lsn())) <= 0;
        }
        return true;
    }

    /**
     * The archive must hold every segment after the backup's own WAL up to the one the target needs: for
     * an LSN its segment, for a time the first segment archived after it, otherwise every segment there is.
     * This is necessary, not sufficient: a time target is reached only at the first commit after it, which
     * PostgreSQL finds by replaying, and archive times only approximate WAL times.
     * Returns the range checked; refuses naming the first missing segment.
     */
    private String[] checkWal(String cluster, BackupView backup, RecoveryTarget target) {
        ArchivedSegments segments = wal.segments(cluster, backup.timeline());
        long from = segments.position(backup.lastWal()) + 1;
        if (target.isImmediate()) {
            return new String[] {null, null};
        }
        long to;
        if (target.lsn() != null) {
            to = Lsn.parse(target.lsn()).segment(segments.segmentSize());
        } else if (target.time() != null) {
            Instant time = target.time().toInstant();
            Long covering = segments.firstArchivedAtOrAfter(time, from);
            if (covering == null) {
                throw new ConflictException("the archive of cluster '" + cluster + "' holds no WAL written after "
                        + target.time() + " yet" + (segments.last() < 0 ? "" : " (the newest archived segment is "
                        + segments.name(segments.last()) + ")") + "; the target cannot be proven reachable. Switch "
                        + "WAL on the server (SELECT pg_switch_wal()) or wait for the next segment");
            }
            to = covering;
        } else {
            to = Math.max(segments.last(), from - 1);
        }
        String missing = segments.firstMissing(from, to);
        if (missing != null) {
            throw new ConflictException("the WAL archive of cluster '" + cluster + "' is missing segment " + missing
                    + ", which a recovery from backup " + backup.id() + " to " + target + " needs (segments "
                    + segments.name(from) + " to " + segments.name(to) + "); nothing was written");
        }
        return to < from ? new String[] {null, null} : new String[] {segments.name(from), segments.name(to)};
    }
}
