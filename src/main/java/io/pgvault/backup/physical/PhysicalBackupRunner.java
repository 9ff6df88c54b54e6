package io.pgvault.backup.physical;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdOutputStream;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupRunner;
import io.pgvault.backup.BaseSpec;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.CompressionMethod;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterTarget;
import io.pgvault.cluster.ToolSession;
import io.pgvault.job.JobContext;
import io.pgvault.process.ProcessExecutor;
import io.pgvault.process.ProcessResult;
import io.pgvault.process.ProcessSpec;
import io.pgvault.storage.FileFollower;
import io.pgvault.storage.HashingOutputStream;
import io.pgvault.storage.StagingArea;
import io.pgvault.wal.Lsn;
import io.pgvault.wal.WalFileName;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorOutputStream;
import org.springframework.stereotype.Component;

/**
 * pg_basebackup in tar format. The tool writes base.tar (compressed), pg_wal.tar and backup_manifest into
 * the staging directory; its progress lines become the job's bytes done and total, and its verbose lines
 * give the start and stop LSN and the timeline the catalog records. A BASE backup in format BLOCKS runs the
 * same tool with its tar on stdout, cut into the repository's block store as it comes ({@link BlockBackup}).
 */
@Component
class PhysicalBackupRunner implements BackupRunner {

    private static final Pattern PROGRESS = Pattern.compile("^\\s*(\\d+)/(\\d+) kB \\(\\d+%\\)");
    private static final Pattern START = Pattern.compile("write-ahead log start point: ([0-9A-F]+/[0-9A-F]+) on timeline (\\d+)");
    private static final Pattern END = Pattern.compile("write-ahead log end point: ([0-9A-F]+/[0-9A-F]+)");
    static final long DEFAULT_SEGMENT_SIZE = 16L * 1024 * 1024;

    private final ClusterAccess clusters;
    private final ClusterService clusterService;
    private final ProcessExecutor executor;
    private final ConfigCapture configCapture;
    private final BlockBackup blocks;
    private final HostBackup host;

    PhysicalBackupRunner(ClusterAccess clusters, ClusterService clusterService, ProcessExecutor executor,
            ConfigCapture configCapture, BlockBackup blocks, HostBackup host) {
        this.blocks = blocks;
        this.host = host;
        this.clusters = clusters;
        this.clusterService = clusterService;
        this.executor = executor;
        this.configCapture = configCapture;
    }

    @Override
    public Set<BackupKind> kinds() {
        return Set.of(BackupKind.BASE);
    }

    @Override
    public Versions versions(BackupView backup) {
        ClusterTarget target = clusters.target(backup.cluster());
        // no client tools (a host-read BLOCKS backup only): the backup records none
        return new Versions(target.serverVersion(), target.hasTools() ? target.tools().version() : null);
    }

    @Override
    public Result run(BackupView backup, StagingArea area, JobContext context) throws Exception {
        var cluster = clusterService.get(backup.cluster());
        Long configured = cluster.walSegmentSize();
        long segmentSize = configured == null ? DEFAULT_SEGMENT_SIZE : configured;
        AtomicReference<String> start = new AtomicReference<>();
        AtomicReference<String> end = new AtomicReference<>();
        AtomicReference<Integer> timeline = new AtomicReference<>();
        BackupRunner.Blocks taken = null;
        java.util.List<String> warnings = new java.util.ArrayList<>();
        boolean blocks = backup.spec() instanceof BaseSpec base && base.blocks();
        StringBuilder notHere = new StringBuilder();
        java.util.Optional<Path> readable = blocks
                ? host.readableDirectory(backup.cluster(), notHere) : java.util.Optional.empty();
        if (readable.isPresent()) {
            HostBackup.Taken read = host.take(backup, readable.get(), area, context);
            start.set(read.startLsn());
            end.set(read.stopLsn());
            timeline.set(read.timeline());
            warnings.addAll(read.warnings());
            taken = read.blocks();
        } else if (blocks) {
            if (!clusters.target(backup.cluster()).hasTools()) {
                throw new IllegalStateException("the data directory cannot be read on this host (" + notHere + "), "
                        + "and pg_basebackup's stream needs client tools: " + clusters.target(backup.cluster())
                        .missingTools());
            }
            context.log("pgvault: reader: pg_basebackup's stream cut into blocks (" + notHere + ")");
            taken = toBlocks(backup, area, context, start, end, timeline);
        } else {
            toTar(backup, area, context, start, end, timeline);
        }
        context.phase("capturing the configuration");
        ConfigCapture.Captured config = configCapture.capture(backup.cluster(), cluster.maintenanceDatabase(), area,
                context);
        config.warnings().forEach(w -> context.log("pgvault: warning: " + w));
        warnings.addAll(config.warnings());
        if (start.get() == null || end.get() == null) {
            throw new IllegalStateException("pg_basebackup did not report its start and end WAL locations");
        }
        Lsn startLsn = Lsn.parse(start.get());
        Lsn stopLsn = Lsn.parse(end.get());
        int tli = timeline.get();
        return new Result(startLsn.toString(), stopLsn.toString(), tli,
                WalFileName.segmentName(tli, startLsn.segment(segmentSize), segmentSize),
                WalFileName.segmentName(tli, stopLsn.segmentEndingHere(segmentSize), segmentSize), config.config(),
                warnings).with(taken);
    }

    /** pg_basebackup's stdout cut into the repository's block store as it comes; the manifest into the area. */
    private BackupRunner.Blocks toBlocks(BackupView backup, StagingArea area, JobContext context,
            AtomicReference<String> start, AtomicReference<String> end, AtomicReference<Integer> timeline)
            throws Exception {
        try (ToolSession session = clusters.toolSession(backup.cluster())) {
            context.phase("waiting for checkpoint");
            BlockBackup.Session blocked = blocks.open(backup, context);
            ProcessResult result;
            try {
                ProcessSpec spec = ProcessSpec.of(BaseBackupCommand.argv(session.tool("pg_basebackup"),
                        session.target().tools().major(), (BaseSpec) backup.spec(), "-"))
                        .environment(session.environment(null)).stdout(blocked.stdout())
                        .stderrLines(line -> onStderr(line, context, start, end, timeline, null));
                result = executor.run(spec, context.cancellation());
            } catch (Exception e) {
                blocked.abandon();
                throw e;
            }
            context.log(String.format("pgvault: pg_basebackup ran for %.3f s, its stdout cut into blocks as it came",
                    result.duration().toNanos() / 1e9));
            context.phase("writing the manifest");
            return blocked.finish(backup, area, context);
        }
    }

    private void toTar(BackupView backup, StagingArea area, JobContext context, AtomicReference<String> start,
            AtomicReference<String> end, AtomicReference<Integer> timeline) throws Exception {
        try (ToolSession session = clusters.toolSession(backup.cluster())) {
            Path directory = area.directory();
            context.phase("waiting for checkpoint");
            // the main archive is hashed as pg_basebackup writes it; the other files are small or rewritten
            FileFollower follower = area.follow(backup.mainFile());
            ProcessSpec spec = ProcessSpec.of(BaseBackupCommand.argv(session.tool("pg_basebackup"),
                    session.target().tools().major(), (BaseSpec) backup.spec(), directory))
                    .environment(session.environment(null))
                    .stderrLines(line -> onStderr(line, context, start, end, timeline, follower));
            ProcessResult result;
            try {
                result = executor.run(spec, context.cancellation());
            } catch (Exception e) {
                follower.abandon();
                throw e;
            }
            boolean followed = follower.finish();
            context.log(String.format("pgvault: pg_basebackup ran for %.3f s%s", result.duration().toNanos() / 1e9,
                    followed ? "; " + backup.mainFile() + " hashed while it was written" : ""));
            compressWal(area, (BaseSpec) backup.spec(), context);
        }
    }

    /**
     * pg_basebackup 15 compresses the streamed WAL only with gzip and writes pg_wal.tar plain otherwise; a
     * fast-checkpoint backup's WAL is mostly a 16 MiB segment of zeros, so pgvault compresses it with the
     * backup's own method before the files are sealed.
     */
    private static void compressWal(StagingArea area, BaseSpec spec, JobContext context) throws IOException {
        Path plain = area.directory().resolve("pg_wal.tar");
        CompressionMethod method = spec.compressionMethod();
        if (!Files.exists(plain) || (method != CompressionMethod.ZSTD && method != CompressionMethod.LZ4)) {
            return;
        }
        context.phase("compressing WAL");
        String packed = "pg_wal.tar" + method.suffix();
        HashingOutputStream file = area.create(packed, done -> { });
        try (file; OutputStream out = method == CompressionMethod.ZSTD
                ? new ZstdOutputStream(file, spec.compression() == null ? Zstd.defaultCompressionLevel()
                        : spec.compression())
                : new FramedLZ4CompressorOutputStream(file)) {
            Files.copy(plain, out);
        }
        Files.delete(plain);
        context.log("pgvault: compressed pg_wal.tar (" + file.size() + " bytes as " + packed + ")");
    }

    private static void onStderr(String line, JobContext context, AtomicReference<String> start,
            AtomicReference<String> end, AtomicReference<Integer> timeline, FileFollower follower) {
        Matcher progress = PROGRESS.matcher(line);
        if (progress.find()) {
            context.bytes(Long.parseLong(progress.group(1)) * 1024, Long.parseLong(progress.group(2)) * 1024);
            return;
        }
        context.log(line);
        Matcher m = START.matcher(line);
        if (m.find()) {
            start.set(m.group(1));
            timeline.set(Integer.parseInt(m.group(2)));
            context.phase("copying files");
            return;
        }
        m = END.matcher(line);
        if (m.find()) {
            end.set(m.group(1));
            // printed after the archives are closed, while WAL streaming winds down
            if (follower != null) {
                follower.writerClosed();
            }
            context.phase("waiting for WAL");
        }
    }
}
