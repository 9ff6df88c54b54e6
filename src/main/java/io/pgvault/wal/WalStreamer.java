package io.pgvault.wal;

import io.pgvault.PgvaultProperties;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.cluster.ToolSession;
import io.pgvault.cluster.WalArchiveMode;
import io.pgvault.job.Cancellation;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessResult;
import io.pgvault.process.ProcessSpec;
import io.pgvault.storage.Workspace;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * {@code walArchive: STREAM}: pgvault runs {@code pg_receivewal} itself, on a replication slot
 * ({@code pgvault_<cluster>}) so that the server keeps every segment until pgvault has it, and feeds each
 * completed segment into the same archive as archive_command's pushes. A supervisor checks every few seconds:
 * it starts a receiver for every STREAM cluster whose lease this instance holds (one instance per cluster),
 * restarts one that died (with doubling waits up to a minute), ships completed files, and stops receivers
 * (dropping their slot) of clusters that no longer stream.
 */
@Component
public class WalStreamer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(WalStreamer.class);
    private static final Pattern SHIPPABLE = Pattern.compile("[0-9A-F]{24}|[0-9A-F]{8}\\.history");
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(1);

    private final ClusterService clusters;
    private final ClusterAccess access;
    private final WalArchiveService archive;
    private final Workspace workspace;
    private final ProcessExecutor executor;
    private final WalStreamLease lease;
    private final WalStreamSlots slots;
    private final Clock clock;
    private final Duration interval;
    private final Map<String, Receiver> receivers = new ConcurrentHashMap<>();
    private volatile Thread supervisor;
    private volatile boolean running;

    WalStreamer(ClusterService clusters, ClusterAccess access, WalArchiveService archive, Workspace workspace,
            ProcessExecutor executor, WalStreamLease lease, WalStreamSlots slots, Clock clock,
            PgvaultProperties properties) {
        this.clusters = clusters;
        this.access = access;
        this.archive = archive;
        this.workspace = workspace;
        this.executor = executor;
        this.lease = lease;
        this.slots = slots;
        this.clock = clock;
        this.interval = properties.jobs().pollInterval().compareTo(Duration.ofSeconds(2)) < 0
                ? Duration.ofSeconds(1) : Duration.ofSeconds(2);
    }

    /**
     * The slot a cluster's receiver uses: slot names allow lower-case letters, digits and underscores, at most
     * 63 of them, so a long cluster name is cut and told apart by a hash.
     */
    public static String slotName(String cluster) {
        String slot = "pgvault_" + cluster.replace('-', '_');
        return slot.length() <= 63 ? slot : slot.substring(0, 54) + "_" + String.format("%08x", cluster.hashCode());
    }

    /** One cluster's pg_receivewal: its spool directory, its process, and how often it had to be restarted. */
    private static final class Receiver {
        final String cluster;
        final Path spool;
        final Cancellation cancellation = new Cancellation();
        volatile Thread thread;
        volatile Instant notBefore = Instant.EPOCH;
        volatile Duration backoff = Duration.ofSeconds(1);
        volatile int restarts;
        volatile String lastError;
        /** Starting where the archive ends failed once (that WAL is gone from the server): start at the slot. */
        volatile boolean unseeded;

        Receiver(String cluster, Path spool) {
            this.cluster = cluster;
            this.spool = spool;
        }

        boolean alive() {
            return thread != null && thread.isAlive();
        }
    }

    @EventListener(ApplicationReadyEvent.class)
    void ready() {
        startSupervisor();
    }

    private synchronized void startSupervisor() {
        Thread t = new Thread(this::supervise, "pgvault-wal-streamer");
        t.setDaemon(true);
        supervisor = t;
        t.start();
    }

    private void supervise() {
        while (running) {
            try {
                round();
            } catch (RuntimeException e) {
                log.warn("WAL streaming supervisor: {}", e.toString());
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One look at every cluster: start, restart, ship, stop. */
    void round() {
        Set<String> streaming = clusters.list().stream().filter(c -> c.walArchive() == WalArchiveMode.STREAM)
                .map(ClusterView::name).collect(Collectors.toSet());
        for (String name : Set.copyOf(receivers.keySet())) {
            if (!streaming.contains(name) || !holdLease(name)) {
                stop(receivers.remove(name), streaming.contains(name) ? "its lease went to another instance"
                        : "the cluster no longer streams (walArchive is not STREAM)", !streaming.contains(name));
            }
        }
        dropLeftoverSlots(streaming);
        for (String name : streaming) {
            Receiver r = receivers.get(name);
            if (r == null) {
                if (!holdLease(name)) {
                    continue;
                }
                try {
                    r = new Receiver(name, workspace.walSpool(name));
                } catch (IOException e) {
                    log.warn("WAL streaming of '{}': no spool directory: {}", name, e.getMessage());
                    continue;
                }
                if (!running) {
                    return; // shutting down: start nothing that would outlive this JVM
                }
                receivers.put(name, r);
            }
            ship(r);
            if (running && !r.alive() && !clock.instant().isBefore(r.notBefore)) {
                start(r);
            }
        }
    }

    private void start(Receiver r) {
        Thread t = new Thread(() -> receive(r), "pgvault-receivewal-" + r.cluster);
        t.setDaemon(true);
        r.thread = t;
        t.start();
    }

    /** Runs pg_receivewal until it exits; the supervisor starts it again after a wait that doubles. */
    private void receive(Receiver r) {
        Instant started = clock.instant();
        String outcome;
        Path seed = null;
        try (ToolSession session = access.toolSession(r.cluster)) {
            String tool = session.tool("pg_receivewal");
            Map<String, String> env = session.environment(null);
            String slot = slotName(r.cluster);
            executor.run(ProcessSpec.of(List.of(tool, "--slot=" + slot, "--create-slot", "--if-not-exists",
                    "--no-password")).environment(env).timeout(Duration.ofMinutes(1)), r.cancellation);
            seed = seed(r);
            log.info("WAL streaming of '{}': pg_receivewal starts on slot {}{}", r.cluster, slot,
                    seed == null ? "" : " from " + seed.getFileName() + ", after the archive's last segment");
            ProcessResult result = executor.run(ProcessSpec.of(List.of(tool, "--directory=" + r.spool,
                    "--slot=" + slot, "--no-loop", "--no-password", "--verbose")).environment(env)
                    .timeout(Duration.ofDays(3650)).okExitCodes(0, 1).stderrLines(line -> log.debug(
                            "pg_receivewal[{}]: {}", r.cluster, line)), r.cancellation);
            outcome = "exited with " + result.exitCode() + ": " + result.stderrTail().strip();
        } catch (Exception e) {
            outcome = e.getMessage();
        }
        if (r.cancellation.isCancelled()) {
            return;
        }
        if (seed != null && outcome != null && (outcome.contains("removed") || outcome.contains("ahead of")
                || outcome.contains("START_REPLICATION"))) {
            // the server no longer has (or never had) WAL where the archive ends: start where the slot is
            try {
                Files.deleteIfExists(seed);
            } catch (IOException e) {
                log.warn("WAL streaming of '{}': could not remove {}: {}", r.cluster, seed, e.getMessage());
            }
            r.unseeded = true;
            log.warn("WAL streaming of '{}': the server cannot stream from where the archive ends ({}); streaming "
                    + "from the slot's position instead", r.cluster, outcome);
        }
        if (outcome != null && outcome.contains("is active for PID") && holdLease(r.cluster) && slots.free(r.cluster)) {
            // the slot was held by the receiver of an instance that died (SIGKILL leaves pg_receivewal running,
            // streaming into a spool nobody ships): its lease ran out and is this instance's now
            r.backoff = Duration.ofSeconds(1);
        }
        boolean ranLong = Duration.between(started, clock.instant()).compareTo(MAX_BACKOFF) > 0;
        r.backoff = ranLong ? Duration.ofSeconds(1) : r.backoff;
        r.notBefore = clock.instant().plus(r.backoff);
        r.restarts++;
        r.lastError = outcome;
        log.warn("WAL streaming of '{}': pg_receivewal {}; restarting in {} s (restart {})", r.cluster, outcome,
                r.backoff.toSeconds(), r.restarts);
        Duration doubled = r.backoff.multipliedBy(2);
        r.backoff = doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }

    /** The receiver's state for the archive summary; null unless the cluster streams. */
    public ArchiveSummary.Streaming status(ClusterView cluster) {
        if (cluster.walArchive() != WalArchiveMode.STREAM) {
            return null;
        }
        String slot = slotName(cluster.name());
        Receiver r = receivers.get(cluster.name());
        if (r != null) {
            return new ArchiveSummary.Streaming(r.alive(), lease.owner(), slot, r.restarts, r.lastError);
        }
        String holder = lease.holder(cluster.name());
        return new ArchiveSummary.Streaming(holder != null, holder, slot, 0, null);
    }

    /** Moves every completed segment and history file from the spool into the archive, oldest first. */
    private void ship(Receiver r) {
        List<Path> done;
        try (Stream<Path> files = Files.list(r.spool)) {
            done = files.filter(p -> SHIPPABLE.matcher(p.getFileName().toString()).matches()).sorted().toList();
        } catch (IOException e) {
            log.warn("WAL streaming of '{}': cannot read its spool: {}", r.cluster, e.getMessage());
            return;
        }
        for (Path file : done) {
            try (InputStream in = Files.newInputStream(file)) {
                archive.push(r.cluster, file.getFileName().toString(), in);
                Files.delete(file);
            } catch (Exception e) {
                // kept in the spool: the next round tries again; a conflict stays visible in the log
                log.warn("WAL streaming of '{}': could not archive {}: {}", r.cluster, file.getFileName(),
                        e.getMessage());
                return;
            }
        }
    }

    private void stop(Receiver r, String why, boolean dropSlot) {
        if (r == null) {
            return;
        }
        log.info("WAL streaming of '{}' stops: {}", r.cluster, why);
        r.cancellation.cancel(why);
        Thread t = r.thread;
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // the spool stays: what is still in it (the catalog may be unreachable) is shipped by the next receiver
        ship(r);
        // the lease row stays until the slot is gone: it marks a slot that some instance must still drop
        if (dropSlot && slots.drop(r.cluster)) {
            lease.release(r.cluster);
        }
    }

    /**
     * Clusters that stopped streaming while none of their receivers ran here (the instance that had one was
     * down, or lost its lease): their lease row outlived the receiver, so their slot may still exist.
     */
    private void dropLeftoverSlots(Set<String> streaming) {
        List<String> leftovers = lease.expired();
        Set<String> registered = clusters.list().stream().map(ClusterView::name).collect(Collectors.toSet());
        for (String name : leftovers) {
            if (streaming.contains(name) || receivers.containsKey(name) || !holdLease(name)) {
                continue;
            }
            if (!registered.contains(name)) {
                log.warn("WAL streaming of '{}': the cluster is gone; if its slot {} still exists on the server, drop "
                        + "it by hand (pg_drop_replication_slot)", name, slotName(name));
                lease.release(name);
            } else if (slots.drop(name)) {
                lease.release(name);
            }
        }
    }

    /**
     * With nothing in the spool, pg_receivewal starts where the slot is: after what an earlier receiver (one of a
     * dead instance, or this one before a crash) acknowledged, whether or not it reached the archive. So that
     * no segment falls between the two, an empty spool is given the segment after the archive's last one as an
     * empty .partial file of full size; pg_receivewal then starts at its beginning (the server streams it while
     * its pg_wal still has it). Returns the file, or null when the spool holds segments or the archive none.
     */
    private Path seed(Receiver r) {
        if (r.unseeded) {
            return null;
        }
        try (Stream<Path> files = Files.list(r.spool)) {
            if (files.anyMatch(p -> p.getFileName().toString().matches("[0-9A-F]{24}(\\.partial)?"))) {
                return null;
            }
            ArchiveSummary summary = archive.summary(r.cluster);
            if (summary.timelines() == null || summary.timelines().isEmpty()) {
                return null;
            }
            ArchiveSummary.Timeline newest = summary.timelines().get(summary.timelines().size() - 1);
            if (newest.lastSegment() == null) {
                return null;
            }
            long size = summary.segmentSizeBytes();
            WalFileName last = WalFileName.parse(newest.lastSegment());
            Path seed = r.spool.resolve(WalFileName.segmentName(last.timeline(), last.position(size) + 1, size)
                    + ".partial");
            try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(seed.toFile(), "rw")) {
                file.setLength(size);
            }
            return seed;
        } catch (IOException | RuntimeException e) {
            log.warn("WAL streaming of '{}': starting where the slot is ({})", r.cluster, e.toString());
            return null;
        }
    }

    /** Takes or renews the lease; while the catalog is unreachable, a receiver running here goes on. */
    private boolean holdLease(String cluster) {
        return lease.hold(cluster, receivers.containsKey(cluster));
    }

    @Override
    public void start() {
        running = true;
        // started again after stop() (a context's lifecycle restarted, as Spring's test framework does with the
        // cached contexts it pauses): stop() ended the supervisor, so a new one takes over
        Thread t = supervisor;
        if (t != null && !t.isAlive()) {
            startSupervisor();
        }
    }

    @Override
    public void stop() {
        running = false;
        Thread t = supervisor;
        if (t != null) {
            t.interrupt();
            try {
                t.join(15_000); // a round in progress must not start a receiver after this
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        receivers.values().forEach(r -> stop(r, "pgvault shuts down", false));
        receivers.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
