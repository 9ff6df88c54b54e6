package io.pgvault.wal;

import io.pgvault.job.DaemonThreads;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.cluster.PostgresTools;
import io.pgvault.job.Cancellation;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessSpec;
import io.pgvault.storage.Workspace;
import io.pgvault.storage.FileTrees;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * The WAL's own times. When a segment has been archived, a background worker (never the push itself) reads it
 * with pg_waldump of the cluster's major version and records the first and last transaction end (commit or
 * abort) time in it. Recovery windows and the up-front check of a time target use these times, not when a
 * file happened to reach pgvault (archiving can stall for hours and deliver old WAL late). A segment that no
 * matching pg_waldump can read keeps only its arrival time, and says why.
 * <p>
 * The same read is the archive's first proof of replay: pg_waldump decodes every record of the segment (and
 * checks each record's CRC) whatever the resource-manager filter, and an archived segment is whole, so a
 * decoding error before its end ("incorrect resource manager data checksum", "invalid record length") means
 * recovery would stop there. Such a segment is recorded as damaged at once, named in the archive summary, in
 * the backups' health and by the WAL_DAMAGED webhook; a record running into the next segment is not an error.
 */
@Component
public class WalTimes {

    private static final Logger log = LoggerFactory.getLogger(WalTimes.class);
    /** How long no segment must arrive before a scan starts, and the longest a scan waits for that. */
    private static final Duration QUIET = Duration.ofSeconds(2);
    private static final Duration MOST_PATIENT = Duration.ofSeconds(30);
    private static final Pattern END = Pattern.compile(
            "desc: (?:COMMIT|ABORT)(?:_PREPARED)? (?:[0-9]+: )?(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?) UTC");
    /**
     * pg_waldump's words for a record that it found and that does not decode. Its other errors (it could not run
     * or read the file, or found no record start at all, as in a file that only looks like WAL) are not this.
     */
    private static final Pattern DAMAGE = Pattern.compile("(error in WAL record at .*)");
    private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder().appendPattern("uuuu-MM-dd HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true).optionalEnd().toFormatter();

    private final WalFileRepository files;
    private final ClusterService clusters;
    private final PostgresTools tools;
    private final Workspace workspace;
    private final WalBytes bytes;
    private final ProcessExecutor executor;
    private final Clock clock;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(DaemonThreads.named("pgvault-wal-times"));
    private final AtomicBoolean queued = new AtomicBoolean();
    /** When the last segment arrived: scans wait for a pause in a burst of pushes (see {@link #awaitQuiet}). */
    private volatile long lastArrival = System.nanoTime() - QUIET.toNanos();

    WalTimes(WalFileRepository files, ClusterService clusters, PostgresTools tools, Workspace workspace,
            WalBytes bytes, ProcessExecutor executor, Clock clock) {
        this.bytes = bytes;
        this.files = files;
        this.clusters = clusters;
        this.tools = tools;
        this.workspace = workspace;
        this.executor = executor;
        this.clock = clock;
    }

    /** A segment was archived: its times are read soon, off the push's path. */
    @TransactionalEventListener(fallbackExecution = true)
    void archived(WalArchived event) {
        if (event.kind() == WalFileKind.SEGMENT) {
            lastArrival = System.nanoTime();
            sweepSoon();
        }
    }

    @EventListener(ApplicationReadyEvent.class)
    void sweepSoon() {
        if (queued.compareAndSet(false, true)) {
            worker.submit(this::sweep);
        }
    }

    private void sweep() {
        queued.set(false);
        try {
            List<WalFile> batch;
            do {
                batch = files.findTop200ByKindAndScannedAtIsNullOrderByArchivedAt(WalFileKind.SEGMENT);
                for (WalFile f : batch) {
                    awaitQuiet();
                    scan(f);
                }
            } while (!batch.isEmpty() && !queued.get());
        } catch (RuntimeException e) {
            log.warn("Reading WAL times failed: {}", e.toString());
        }
    }

    /**
     * On two cores, a scan (decompress, copy, pg_waldump) next to a burst of pushes slows every push: a scan
     * waits until no segment has arrived for {@link #QUIET}, but not longer than {@link #MOST_PATIENT}, so a
     * steady stream of pushes still gets its times read.
     */
    private void awaitQuiet() {
        long waitingSince = System.nanoTime();
        try {
            while (System.nanoTime() - lastArrival < QUIET.toNanos()
                    && System.nanoTime() - waitingSince < MOST_PATIENT.toNanos()) {
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads one segment's times now, if they were not read yet (a recovery's check that cannot wait). */
    public void scanNow(String cluster, String name) {
        files.findById(new WalFile.Key(cluster, name)).filter(f -> f.getScannedAt() == null).ifPresent(this::scan);
    }

    /** What one read of a segment found: its first and last transaction end, and why it does not decode. */
    private record Scan(Instant first, Instant last, String damage) {
        static final Scan NOTHING = new Scan(null, null, null);
    }

    private void scan(WalFile f) {
        String cluster = clusterOf(f);
        Scan found = Scan.NOTHING;
        String note = null;
        try {
            ClusterView view = clusters.get(cluster);
            Optional<PostgresTools.ToolSet> waldump = waldump(view);
            if (waldump.isEmpty()) {
                note = "no pg_waldump of PostgreSQL " + major(view) + " installed: only the arrival time is known";
            } else {
                found = read(cluster, f, waldump.get());
            }
        } catch (IOException | RuntimeException e) {
            note = "pg_waldump could not read it: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (found.damage() != null) {
            log.warn("WAL segment {} of cluster '{}' does not decode: {}; a recovery past it would stop there",
                    f.getName(), cluster, found.damage());
        }
        files.recordTimes(cluster, f.getName(), found.first(), found.last(), clip(note), clip(found.damage()),
                clock.instant());
    }

    private static String clip(String text) {
        return text == null ? null : text.substring(0, Math.min(text.length(), 400));
    }

    private Scan read(String cluster, WalFile f, PostgresTools.ToolSet waldump)
            throws IOException, InterruptedException {
        WalFileName name = WalFileName.parse(f.getName());
        Path scratch = workspace.scratch("waldump");
        try {
            Path copy = scratch.resolve(f.getName());
            try (InputStream in = bytes.open(cluster, f)) {
                Files.copy(in, copy);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            StringBuilder damage = new StringBuilder();
            // one segment only (a record running into the next one ends the read without an error); exit code 1
            // with a decoding error is the damage this read looks for.
            // below the pushes and the jobs in CPU priority: the times are wanted soon, not at once
            executor.run(ProcessSpec.of(List.of("/usr/bin/nice", "-n", "10", waldump.path("pg_waldump").toString(),
                            "--rmgr=Transaction", copy.toString(), copy.toString()))
                    .environment(Map.of("PATH", "/usr/bin:/bin", "LC_ALL", "C.UTF-8", "TZ", "UTC", "PGTZ", "UTC"))
                    .stdout(out).stderrLines(line -> {
                        Matcher d = DAMAGE.matcher(line);
                        if (d.find() && damage.isEmpty()) {
                            damage.append(d.group(1));
                        }
                    }).okExitCodes(0, 1).timeout(Duration.ofMinutes(2)), Cancellation.none());
            Instant first = null;
            Instant last = null;
            Matcher m = END.matcher(out.toString(StandardCharsets.UTF_8));
            while (m.find()) {
                Instant t = LocalDateTime.parse(m.group(1), TIME).toInstant(ZoneOffset.UTC);
                first = first == null || t.isBefore(first) ? t : first;
                last = last == null || t.isAfter(last) ? t : last;
            }
            return new Scan(first, last, damage.isEmpty() ? null : damage.toString());
        } finally {
            FileTrees.delete(scratch);
        }
    }

    /** pg_waldump of exactly the cluster's major: WAL formats differ between majors. */
    private Optional<PostgresTools.ToolSet> waldump(ClusterView view) {
        int major = major(view);
        return tools.available().stream().filter(t -> t.major() == major)
                .filter(t -> Files.isExecutable(t.directory().resolve("pg_waldump"))).findFirst();
    }

    private static int major(ClusterView view) {
        return view.serverVersion() == null ? 0 : Integer.parseInt(view.serverVersion().split("\\.")[0]);
    }

    private static String clusterOf(WalFile f) {
        return f.getCluster();
    }
}
