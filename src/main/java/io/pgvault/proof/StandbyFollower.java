package io.pgvault.proof;

import io.pgvault.PgvaultProperties;
import io.pgvault.job.DaemonThreads;
import io.pgvault.job.Instances;
import io.pgvault.job.JobService;
import io.pgvault.recovery.StandbyCopies;
import io.pgvault.wal.ArchivedWal;
import io.pgvault.wal.Lsn;
import io.pgvault.wal.TimelineHistory;
import io.pgvault.wal.WalArchiveService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Follows the standing standbys of this host (see {@link StandbyProof}) every {@code pgvault.proof.follow-interval}:
 * records what each replayed as its cluster's proven point, and turns replay that stands still while the archive
 * holds newer segments for {@code pgvault.proof.stall-after} into a finding that names the segment and why
 * ({@link ProofFailures}). It is a local timer rather than a job: a standby is a process of this host, and only this
 * host can look at it. On start it adopts each recorded standby that runs in its directory, and starts again from
 * its directory one that does not: never a second copy. On stop (pgvault shuts down) it stops them with a fast
 * shutdown. A standby whose cluster left mode CONTINUOUS, or that a newer one replaced, is removed.
 */
@Component
class StandbyFollower implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(StandbyFollower.class);
    private static final Duration RENEW = Duration.ofHours(1);

    private final StandbyRecords standbys;
    private final ProofRecords records;
    private final StandbyCopies copies;
    private final WalArchiveService wal;
    private final ProofFailures failures;
    private final StallReasons reasons;
    private final Instances instances;
    private final JobService jobs;
    private final Clock clock;
    private final Duration interval;
    private final Duration stallAfter;
    private final Map<UUID, Watch> watched = new ConcurrentHashMap<>();
    private ScheduledExecutorService timer;
    private volatile boolean running;

    /** What the follower knows of one standby between looks. */
    private static final class Watch {
        StandbyCopies.Standby standby;
        String lsn;
        Instant stallSince;
        String reported;
        Instant renewed;
        Instant restartAfter;
        Long pid;
    }

    StandbyFollower(StandbyRecords standbys, ProofRecords records, StandbyCopies copies, WalArchiveService wal,
            ProofFailures failures, StallReasons reasons, Instances instances, JobService jobs, Clock clock,
            PgvaultProperties properties) {
        this.reasons = reasons;
        this.standbys = standbys;
        this.records = records;
        this.copies = copies;
        this.wal = wal;
        this.failures = failures;
        this.instances = instances;
        this.jobs = jobs;
        this.clock = clock;
        this.interval = properties.proof().followInterval();
        this.stallAfter = properties.proof().stallAfter();
    }

    @Override
    public synchronized void start() {
        running = true;
        timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("pgvault-standby-follower"));
        timer.scheduleWithFixedDelay(io.pgvault.job.DaemonThreads.repeating("The standby follower", this::tick),
                0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        running = false;
        if (timer == null) {
            return;
        }
        timer.shutdownNow();
        try {
            timer.awaitTermination(2, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for (Watch w : watched.values()) {
                try {
                    copies.stop(w.standby.directory());
                    log.info("Stopped the standby of cluster '{}' in {} (fast shutdown); it is started again with "
                            + "pgvault", w.standby.cluster(), w.standby.directory());
                } catch (Exception e) {
                    log.warn("Could not stop the standby in {}: {}", w.standby.directory(), e.getMessage());
                }
            }
            watched.clear();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops and removes a standby of this host now (another host's follower removes its own). */
    synchronized void retire(StandbyRecords.Row row, String why) {
        if (!row.host().equals(instances.host())) {
            return;
        }
        copies.remove(row.standby(), why, line -> log.info("{}", line));
        standbys.delete(row.jobId());
        watched.remove(row.jobId());
        log.info("Removed the standby of cluster '{}' in {}: {}", row.cluster(), row.directory(), why);
    }

    private synchronized void tick() {
        if (!running) {
            return;
        }
        try {
            List<StandbyRecords.Row> rows = standbys.onHost(instances.host());
            if (rows.isEmpty() && watched.isEmpty()) {
                return; // most ticks of most instances: one small query
            }
            Set<UUID> seen = new HashSet<>();
            Set<String> clusters = new HashSet<>();
            Set<String> alive = new HashSet<>();
            instances.list().stream().filter(Instances.Instance::alive).forEach(i -> alive.add(i.name()));
            for (StandbyRecords.Row row : rows) {
                if (!instances.name().equals(row.owner())) {
                    // another instance of this host follows it; once that one is gone, one of the others takes over
                    if (row.owner() != null && alive.contains(row.owner())
                            || !standbys.claim(row.jobId(), row.owner(), instances.name())) {
                        clusters.add(row.cluster());
                        continue;
                    }
                    log.info("Took over following the standby of cluster '{}' in {} from instance '{}'", row.cluster(),
                            row.directory(), row.owner());
                }
                seen.add(row.jobId());
                ProofMode mode = records.find(row.cluster()).map(ProofRecords.Row::mode).orElse(ProofMode.OFF);
                if (mode != ProofMode.CONTINUOUS) {
                    retire(row, "the cluster's proof mode is " + mode + " now");
                } else if (!clusters.add(row.cluster())) {
                    retire(row, "a standby of a newer BASE backup replaced it");
                } else {
                    follow(row);
                }
            }
            for (UUID gone : List.copyOf(watched.keySet())) {
                if (!seen.contains(gone)) {
                    Watch w = watched.remove(gone);
                    if (standbys.find(gone).isEmpty()) {
                        copies.remove(w.standby, "its cluster is gone", line -> log.info("{}", line));
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("Following the standing standbys failed this time: {}", e.getMessage());
        }
    }

    private void follow(StandbyRecords.Row row) {
        Instant now = clock.instant();
        Watch w = watched.get(row.jobId());
        boolean first = w == null;
        if (first) {
            w = new Watch();
            w.standby = row.standby();
            // what the catalog holds already counts as seen: a finding stays until replay moves again
            w.lsn = records.find(row.cluster()).filter(p -> row.backupId().equals(p.backupId()))
                    .map(ProofRecords.Row::provenLsn).orElse(null);
            watched.put(row.jobId(), w);
        }
        // the pid seen last is still alive: no pg_ctl status every few seconds
        boolean alive = w.pid != null && ProcessHandle.of(w.pid).map(ProcessHandle::isAlive).orElse(false);
        if (!alive && copies.running(row.directory())) {
            alive = true;
            w.pid = copies.pid(row.directory());
            if (first) {
                standbys.running(row.jobId(), row.port(), w.pid);
                log.info("Adopted the standby of cluster '{}' running in {} (pid {})", row.cluster(), row.directory(),
                        w.pid);
            }
        }
        if (!alive) {
            if (!copies.exists(row.directory())) {
                retire(row, "its directory is gone");
                jobs.setTimer(ProofService.TIMER, row.cluster(), now); // a new standby, at once
                return;
            }
            if (w.restartAfter != null && now.isBefore(w.restartAfter)) {
                return;
            }
            try {
                int port = copies.resume(w.standby);
                w.standby = new StandbyCopies.Standby(row.cluster(), row.directory(), port, row.jobId());
                w.pid = copies.pid(row.directory());
                standbys.running(row.jobId(), port, w.pid);
                w.restartAfter = null;
                w.renewed = now;
                log.info("Started the standby of cluster '{}' again in {} on port {}", row.cluster(), row.directory(),
                        port);
            } catch (Exception e) {
                w.restartAfter = now.plus(stallAfter);
                String text = copies.log(row.directory());
                report(row, w, null, "the standby in " + row.directory() + " does not run and could not be started "
                        + "again: " + e.getMessage(), ReplayLog.segmentIn(ReplayLog.timelineTrouble(text)));
                return;
            }
        }
        if (w.renewed == null || now.isAfter(w.renewed.plus(RENEW))) {
            copies.renew(row.jobId());
            w.renewed = now;
        }
        observe(row, w, now);
    }

    /** Reads the replay, records the proven point, and judges whether replay stands still behind the archive. */
    private void observe(StandbyRecords.Row row, Watch w, Instant now) {
        StandbyCopies.Replay replay = null;
        String unanswered = null;
        try {
            replay = copies.replay(w.standby);
        } catch (java.sql.SQLException e) {
            unanswered = e.getMessage();
        }
        ArchivedWal archived = wal.archived(row.cluster());
        long size = archived.segmentSize();
        TimelineHistory path = archived.history(archived.latestTimeline(1));
        long last = archived.last(path);
        String end = last < 0 ? null : archived.name(path, last);
        String lsn = replay == null ? null : replay.lsn();
        if (lsn != null && !lsn.equals(w.lsn)) {
            w.lsn = lsn;
            w.stallSince = null;
            w.reported = null;
            records.proven(row.cluster(), row.backupId(), lsn, replay.time(), end);
            return;
        }
        long needed = lsn == null ? -1 : Lsn.parse(lsn).segmentEndingHere(size) + 1;
        if (replay != null && replay.paused()) {
            w.stallSince = null; // paused by hand (pg_wal_replay_pause()): waiting is what was asked for
            return;
        }
        if (replay != null && (last < needed || size == 0)) {
            w.stallSince = null; // it has replayed everything archived
            if (w.reported != null) {
                w.reported = null;
                records.proven(row.cluster(), row.backupId(), lsn, replay.time(), end);
            }
            return;
        }
        if (w.stallSince == null) {
            w.stallSince = now;
            return;
        }
        if (Duration.between(w.stallSince, now).compareTo(stallAfter) < 0) {
            return;
        }
        StallReasons.Finding finding = reasons.explain(row.cluster(), copies.log(row.directory()), lsn, unanswered,
                archived, path, needed, end);
        report(row, w, replay, finding.why(), finding.segment());
    }

    /** A finding, once per segment (also across a restart: a finding the catalog holds is not told again). */
    private void report(StandbyRecords.Row row, Watch w, StandbyCopies.Replay replay, String why, String segment) {
        String key = segment != null ? segment : replay == null ? "no answer" : why;
        if (key.equals(w.reported)) {
            return;
        }
        w.reported = key;
        ProofRecords.Row proof = records.find(row.cluster()).orElse(null);
        if (proof != null && proof.state() == ProofState.FAILED && segment != null
                && segment.equals(proof.failedSegment())) {
            return;
        }
        log.warn("The standing proof of cluster '{}' found: {}", row.cluster(), why);
        failures.fail(row.cluster(), row.backupId(), replay == null ? null : replay.lsn(),
                replay == null ? null : replay.time(), null, why, segment);
    }
}
