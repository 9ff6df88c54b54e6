package io.pgvault.recovery;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupStatus;
import io.pgvault.backup.BackupView;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.cluster.LocalPostgres;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.pgvault.wal.Lsn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
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
    private final BackupCatalog backups;
    private final LocalPostgres postgres;
    private final JobService jobs;
    private final JsonMapper json;
    private final Clock clock;
    private final Path storageRoot;
    private final RecoveryRoots roots;
    private final CopyTokens tokens;
    private final WalPlanner planner;

    RecoveryService(ClusterService clusters, BackupCatalog backups, LocalPostgres postgres,
            JobService jobs, JsonMapper json, Clock clock, PgvaultProperties properties, RecoveryRoots roots,
            CopyTokens tokens, WalPlanner planner) {
        this.tokens = tokens;
        this.planner = planner;
        this.clusters = clusters;
        this.backups = backups;
        this.postgres = postgres;
        this.jobs = jobs;
        this.json = json;
        this.clock = clock;
        this.storageRoot = properties.storageRoot();
        this.roots = roots;
    }

    @Transactional
    public JobView start(String cluster, RecoverySpec spec) {
        ClusterView view = clusters.get(cluster);
        // retention waits until this recovery is queued (and then keeps its WAL), or has finished removing
        clusters.lockArchive(cluster);
        RecoveryPlan plan = plan(view, spec);
        // it writes a data directory: on the cluster's data host when it names one
        return jobs.submit(JobType.RECOVERY, cluster, plan.backupId(), json.writeValueAsString(plan), view.dataHost());
    }

    /** The backups whose WAL live recovered copies may still fetch (their credentials are valid). */
    public List<UUID> heldBackups(String cluster) {
        return tokens.heldBackups(cluster);
    }

    /** A BASE backup restored as it was at its end: a recovery to {@code immediate} from that backup. */
    @Transactional
    public JobView restoreBase(UUID backupId, String dataDirectory, Integer port, Boolean start) {
        BackupView backup = backups.get(backupId);
        return start(backup.cluster(), new RecoverySpec(new RecoveryTarget(null, null, null, null, null, true), null,
                RecoveryAction.PROMOTE, null, backupId, dataDirectory, port, start, false));
    }

    /**
     * A recovery's starting point, checked: the base backup (given, or the newest that ends before the target),
     * the tools it needs, and every archived WAL segment from its end up to the target.
     */
    public record PointPlan(BackupView backup, RecoveryTarget target, boolean inclusive, String timeline,
            String walFrom, String walTo, List<String> promised) {
    }

    /** As a recovery plans its point; extractions use it to recover a scratch copy. */
    public PointPlan planPoint(String cluster, RecoveryTarget target, Boolean inclusive, String timeline,
            UUID backupId) {
        checkTarget(target);
        String line = timeline(timeline);
        BackupView backup = chooseBackup(cluster, backupId, target, line);
        postgres.requireRecoveryTools(major(backup.serverVersion()));
        WalPlanner.WalPlan walPlan = planner.plan(cluster, backup, target, line);
        return new PointPlan(backup, target, inclusive == null || inclusive, line, walPlan.from(), walPlan.to(),
                walPlan.promised());
    }

    private void checkTarget(RecoveryTarget target) {
        if (target == null) {
            throw new InvalidRequestException("target", "target is required: one of time, lsn, xid, name, "
                    + "latest: true or immediate: true");
        }
        target.validate();
        if (target.time() != null && target.time().toInstant().isAfter(clock.instant())) {
            throw new InvalidRequestException("target.time", "target time " + target.time() + " is in the future");
        }
    }

    private RecoveryPlan plan(ClusterView cluster, RecoverySpec spec) {
        checkTarget(spec.target());
        RecoveryTarget target = spec.target();
        if (target.isLatest() && spec.action() != null) {
            throw new InvalidRequestException("action", "a recovery to latest replays all WAL and then promotes; "
                    + "action applies to the other targets");
        }
        String timeline = timeline(spec.timeline());
        boolean replace = Boolean.TRUE.equals(spec.replaceExisting());
        Path directory = replace ? ownDirectory(cluster, spec.dataDirectory()) : newDirectory(spec.dataDirectory());
        if (spec.port() != null && (spec.port() < 1 || spec.port() > 65535)) {
            throw new InvalidRequestException("port", "port must be from 1 to 65535");
        }
        if (spec.port() != null && !(replace && spec.port() == cluster.port()) && Ports.inUse(spec.port())) {
            throw new ConflictException("port " + spec.port() + " is in use on this host; choose another port, or "
                    + "leave port out to let pgvault pick a free one");
        }
        boolean delta = Boolean.TRUE.equals(spec.delta());
        if (delta && !replace) {
            throw new InvalidRequestException("delta", "delta writes into an existing directory: it needs "
                    + "\"replaceExisting\": true (a new directory has nothing to compare with)");
        }
        PointPlan point = planPoint(cluster.name(), target, spec.inclusive(), timeline, spec.backupId());
        if (delta && point.backup().format() != io.pgvault.backup.DumpFormat.BLOCKS) {
            throw new InvalidRequestException("delta", "delta needs a BASE backup in format BLOCKS (its manifest "
                    + "names each block); backup " + point.backup().id() + " is a TAR backup");
        }
        return new RecoveryPlan(target, point.inclusive(),
                spec.action() == null ? RecoveryAction.PROMOTE : spec.action(), timeline, point.backup().id(),
                directory.toString(), spec.port(), spec.start() == null || spec.start(), replace, point.walFrom(),
                point.walTo(), point.promised(), false, delta);
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

    /** A new or empty directory below a recovery root (checked without following links). */
    private Path newDirectory(String value) {
        Path path = roots.check(value);
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !isEmpty(path)) {
            throw new ConflictException("dataDirectory " + path + " is not empty. pgvault recovers only into a new or "
                    + "empty directory, or in place into the cluster's own data directory with \"replaceExisting\": "
                    + "true (it stops the server and moves the directory aside; it never deletes it)");
        }
        return path;
    }

    /**
     * The cluster's own data directory, for an in-place recovery: confirmed by asking its running server for
     * data_directory, or from the catalog when it is down. Another cluster's directory, or any other one that
     * holds a PG_VERSION, is refused.
     */
    private Path ownDirectory(ClusterView cluster, String value) {
        Path path = RecoveryRoots.parse(value);
        String own = clusters.dataDirectory(cluster.name());
        if (own == null) {
            throw new ConflictException("pgvault cannot confirm the data directory of cluster '" + cluster.name()
                    + "': its server does not show data_directory to the registered role and none was recorded; "
                    + "GRANT pg_read_all_settings TO " + cluster.username() + " (or register a superuser) and try again");
        }
        if (!Path.of(own).normalize().equals(path)) {
            throw new InvalidRequestException("dataDirectory", "\"replaceExisting\": true recovers cluster '"
                    + cluster.name() + "' in place, into its own data directory " + own + " (as its server reports "
                    + "it); " + path + " is not that. To recover elsewhere, leave replaceExisting out and name a new "
                    + "directory below the recovery roots " + roots.roots());
        }
        if (path.startsWith(storageRoot) || storageRoot.startsWith(path)) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory may not be inside pgvault's own "
                    + "storage (" + storageRoot + ") or contain it");
        }
        if (Files.isSymbolicLink(path)) {
            throw new InvalidRequestException("dataDirectory", path + " is a symbolic link; an in-place recovery "
                    + "moves the directory itself aside, so name the directory the link points to");
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidRequestException("dataDirectory", "dataDirectory exists and is not a directory");
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
    private BackupView chooseBackup(String cluster, UUID backupId, RecoveryTarget target, String timeline) {
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
                if (walComplete(cluster, b, target, timeline)) {
                    return b;
                }
            }
            return candidates.get(candidates.size() - 1);
        }
        List<BackupView> before = candidates.stream().filter(b -> endsBefore(b, target)).toList();
        // the newest that can follow the target timeline's path (one from an abandoned branch cannot)
        for (int i = before.size() - 1; i >= 0; i--) {
            if (onPath(cluster, before.get(i), target, timeline)) {
                return before.get(i);
            }
        }
        return before.stream().max(Comparator.comparing(BackupView::finishedAt))
                .orElseThrow(() -> new InvalidRequestException("target", "the target (" + target + ") is before the "
                        + "end of the oldest BASE backup (" + candidates.get(0).id() + ", ended at "
                        + candidates.get(0).stopLsn() + ", " + candidates.get(0).finishedAt()
                        + "); nothing can recover to it"));
    }

    private boolean walComplete(String cluster, BackupView backup, RecoveryTarget target, String timeline) {
        try {
            planner.plan(cluster, backup, target, timeline);
            return true;
        } catch (ConflictException e) {
            return false;
        }
    }

    /** Whether the backup lies on the target timeline's path (only a missing segment may still stand in the way). */
    private boolean onPath(String cluster, BackupView backup, RecoveryTarget target, String timeline) {
        try {
            planner.plan(cluster, backup, target, timeline);
            return true;
        } catch (ConflictException e) {
            return !e.getMessage().contains("branched off");
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

}
