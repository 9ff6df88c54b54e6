package io.pgvault.backup.physical;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pgvault.PgvaultProperties;
import io.pgvault.backup.BackupRunner;
import io.pgvault.backup.BackupView;
import io.pgvault.blocks.BlockManifest;
import io.pgvault.blocks.BlockStore;
import io.pgvault.blocks.DataDirectoryWalk;
import io.pgvault.blocks.FileBlockReader;
import io.pgvault.blocks.TarBlockWriter;
import io.pgvault.blocks.VerifyBackupManifest;
import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ServerInfo;
import io.pgvault.job.JobContext;
import io.pgvault.storage.HashingOutputStream;
import io.pgvault.storage.StagingArea;
import io.pgvault.wal.Lsn;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/**
 * A BLOCKS backup taken by reading the data directory on this host, as pgBackRest does, instead of cutting
 * pg_basebackup's stream: one JDBC session held from {@code pg_backup_start(label, fast)} to
 * {@code pg_backup_stop()} ({@code pg_start_backup}/{@code pg_stop_backup(false)} before PostgreSQL 15, both
 * non-exclusive: the backup ends, unfinished, with the session), files read by {@link FileBlockReader}'s workers,
 * the WAL from the start segment through the stop segment added from pg_wal ({@link BackupWal}), and the
 * {@code backup_label}, {@code tablespace_map} and a pg_verifybackup {@code backup_manifest} stored as files of
 * the backup. Only possible where the files are: the directory the server reports must be readable here and its
 * pg_control must carry the server's system identifier (the same path on another host is another directory).
 *
 * <p>What this buys over the stream: a DIFF or INCR reads only files that changed since its reference (see
 * {@link FileBlockReader} for the rule), and every page of a relation file is checked when the cluster has data
 * checksums; bad pages become warnings of the backup and a metric, as pg_basebackup would only fail.
 */
@Component
class HostBackup {

    private static final Pattern LABEL_START = Pattern.compile(
            "START WAL LOCATION: ([0-9A-F]+/[0-9A-F]+) \\(file ([0-9A-F]{8})[0-9A-F]{16}\\)");
    /** Seconds a file's mtime must lie before the reference's start for the file to be reused unread. */
    static final long REUSE_MARGIN_SECONDS = 2;

    private final ClusterAccess clusters;
    private final ClusterService clusterService;
    private final BlockBackup blocks;
    private final BaseBackupArchive archive;
    private final BackupWal wal;
    private final PgvaultProperties.Blocks properties;
    private final MeterRegistry registry;

    HostBackup(ClusterAccess clusters, ClusterService clusterService, BlockBackup blocks,
            BaseBackupArchive archive, BackupWal wal, PgvaultProperties settings, MeterRegistry registry) {
        this.clusters = clusters;
        this.clusterService = clusterService;
        this.blocks = blocks;
        this.archive = archive;
        this.wal = wal;
        this.properties = settings.blocks();
        this.registry = registry;
    }

    /** What a host-read backup reports to the runner. */
    record Taken(String startLsn, String stopLsn, int timeline, BackupRunner.Blocks blocks, List<String> warnings) {
    }

    /**
     * The cluster's data directory when this host can read it and it is the cluster's own (pg_control's system
     * identifier is the server's); otherwise empty and why, for the job log.
     */
    Optional<Path> readableDirectory(String cluster, StringBuilder why) {
        if (!properties.hostRead()) {
            why.append("pgvault.blocks.host-read is off");
            return Optional.empty();
        }
        String reported = clusterService.dataDirectory(cluster);
        if (reported == null) {
            why.append("the server does not show data_directory to the registered role");
            return Optional.empty();
        }
        Path dir = Path.of(reported);
        Path control = dir.resolve("global/pg_control");
        if (!Files.isReadable(control)) {
            why.append("the data directory ").append(dir).append(" is not readable on this host");
            return Optional.empty();
        }
        try (Connection conn = clusters.connect(cluster, clusterService.get(cluster).maintenanceDatabase());
                ResultSet rs = conn.createStatement().executeQuery("select system_identifier from pg_control_system()")) {
            long id = rs.next() ? rs.getLong(1) : 0;
            if (id == 0 || id != ServerInfo.systemIdentifierOnDisk(dir)) {
                why.append(dir).append(" on this host is another cluster's directory");
                return Optional.empty();
            }
            return Optional.of(dir);
        } catch (SQLException | IOException e) {
            why.append("the data directory could not be confirmed: ").append(e.getMessage());
            return Optional.empty();
        }
    }


    Taken take(BackupView backup, Path dataDirectory, StagingArea area, JobContext context) throws Exception {
        String cluster = backup.cluster();
        BlockBackup.Reference reference = blocks.reference(backup);
        BlockStore store = blocks.leasedStore(backup, context);
        int workers = properties.workers();
        context.log("pgvault: reader: the data directory " + dataDirectory + " read on this host by " + workers
                + " worker(s) between pg_backup_start and pg_backup_stop");
        FileBlockReader reader = new FileBlockReader(store, TarBlockWriter.DEFAULT_BLOCK_SIZE, workers);
        reader.limitRate(backup.spec().maxRate());
        try (Connection conn = clusters.connect(cluster, clusterService.get(cluster).maintenanceDatabase())) {
            int version;
            boolean checksums;
            try (ResultSet rs = conn.createStatement().executeQuery("select current_setting('server_version_num')"
                    + "::int, current_setting('data_checksums')")) {
                rs.next();
                version = rs.getInt(1);
                checksums = "on".equals(rs.getString(2));
            }
            String label = backup.spec().label() != null ? backup.spec().label() : "pgvault " + backup.id();
            context.phase("waiting for checkpoint");
            Lsn start;
            try (PreparedStatement ps = conn.prepareStatement(version >= 150000 ? "select pg_backup_start(?, ?)"
                    : "select pg_start_backup(?, ?, false)")) {
                ps.setString(1, label);
                ps.setBoolean(2, backup.spec().checkpoint() != io.pgvault.backup.CheckpointMode.SPREAD);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    start = Lsn.parse(rs.getString(1));
                }
            }
            context.log("pgvault: backup started at " + start + (checksums ? "; data checksums on: every page read is "
                    + "checked" : ""));
            context.phase("copying files");
            List<FileBlockReader.Item> items = new ArrayList<>();
            for (DataDirectoryWalk.Listed l : DataDirectoryWalk.list(dataDirectory, version / 10000)) {
                items.add(new FileBlockReader.Item(new BlockManifest.Entry(l.path(), l.type(), l.size(), l.mode(),
                        l.mtime(), l.link(), null), l.type() == 'f' ? () -> Files.newInputStream(l.source()) : null,
                        l.type() == 'f' ? l.source() : null));
            }
            FileBlockReader.Rules rules = rules(backup, reference, checksums, start, context);
            long total = items.stream().mapToLong(i -> i.entry().size()).sum();
            reader.onProgress(done -> context.bytes(done, Math.max(done, total)));
            List<FileBlockReader.Taken> taken = new ArrayList<>(reader.read(items, rules, context.cancellation()));

            context.phase("waiting for WAL");
            String labelFile;
            String spcmap;
            Lsn stop;
            try (ResultSet rs = conn.createStatement().executeQuery(version >= 150000
                    ? "select lsn, labelfile, spcmapfile from pg_backup_stop(false)"
                    : "select lsn, labelfile, spcmapfile from pg_stop_backup(false, false)")) {
                rs.next();
                stop = Lsn.parse(rs.getString(1));
                labelFile = rs.getString(2);
                spcmap = rs.getString(3);
            }
            Matcher m = LABEL_START.matcher(labelFile);
            if (!m.find()) {
                throw new IOException("pg_backup_stop returned a backup_label pgvault cannot read");
            }
            int timeline = Integer.parseInt(m.group(2), 16);
            long now = System.currentTimeMillis() / 1000;
            List<FileBlockReader.Item> extra = new ArrayList<>(wal.segments(cluster, dataDirectory, timeline, start,
                    stop, now));
            extra.add(inMemory("backup_label", labelFile, now));
            if (spcmap != null && !spcmap.isEmpty()) {
                extra.add(inMemory("tablespace_map", spcmap, now));
            }
            taken.addAll(reader.read(extra, FileBlockReader.Rules.readAll(false, 0), context.cancellation()));
            List<VerifyBackupManifest.File> listed = taken.stream().filter(t -> t.entry().isFile()
                    && !t.entry().path().startsWith("pg_wal/") && !t.entry().path().equals("tablespace_map")).map(t -> new VerifyBackupManifest.File(
                            t.entry().path(), t.entry().size(), t.entry().mtime(), t.crc32c())).toList();
            byte[] verify = VerifyBackupManifest.write(listed, timeline, start.toString(), stop.toString());
            taken.addAll(reader.read(List.of(inMemory("backup_manifest", verify, now)),
                    FileBlockReader.Rules.readAll(false, 0), context.cancellation()));

            context.phase("writing the manifest");
            BlockManifest manifest = new BlockManifest(1, TarBlockWriter.DEFAULT_BLOCK_SIZE, store.keyed(),
                    taken.stream().map(FileBlockReader.Taken::entry).toList());
            try (HashingOutputStream out = area.create(BlockManifest.FILE, n -> { })) {
                manifest.writeTo(out);
            }
            FileBlockReader.Stats s = reader.stats();
            List<String> warnings = new ArrayList<>();
            for (String bad : s.badPages()) {
                warnings.add("page checksum failure: " + bad);
                context.log("pgvault: warning: page checksum failure: " + bad);
            }
            if (!s.badPages().isEmpty()) {
                Counter.builder("pgvault.backup.page.checksum.failures").description("pages whose checksum failed "
                        + "while a backup read them").tags("cluster", cluster).register(registry)
                        .increment(s.badPages().size());
            }
            context.log(String.format("pgvault: host read: %d file(s) read (%d bytes), %d reused unread (%d bytes), "
                    + "%d vanished while read; %d page checksum failure(s); block store: %d block(s), %d new (%d bytes "
                    + "stored, %d of them as page deltas), %d reused; %s", s.filesRead(), s.bytesRead(), s.filesReused(),
                    s.bytesReused(), s.vanished(), s.badPages().size(), s.blocks(), s.addedBlocks(), s.storedBytesAdded(),
                    s.deltaBlocks(), s.blocks() - s.addedBlocks(), reference.describe()));
            return new Taken(start.toString(), stop.toString(), timeline, new BackupRunner.Blocks(reference.type(),
                    reference.id(), manifest.dataSize(), s.storedBytesAdded()), warnings);
        }
    }

    /**
     * Reuse by the reference's manifest, unless checksumDelta asks for every file to be read; a FULL compared with the
     * newest backup, for its unchanged deltas only.
     */
    private FileBlockReader.Rules rules(BackupView backup, BlockBackup.Reference reference, boolean checksums,
            Lsn start, JobContext context) throws IOException {
        Optional<BackupView> previous = blocks.previous(backup, reference);
        if (previous.isEmpty()) {
            return FileBlockReader.Rules.readAll(checksums, start.value());
        }
        Map<String, BlockManifest.Entry> byPath = archive.filesByPath(previous.get());
        if (reference.view() == null) {
            return FileBlockReader.Rules.full(byPath, checksums, start.value());
        }
        long upTo = reference.view().startedAt().getEpochSecond() - REUSE_MARGIN_SECONDS;
        if (Boolean.TRUE.equals(backup.spec().checksumDelta())) {
            // no file is reused unread; the reference's blocks are still the bases of page deltas
            context.log("pgvault: checksumDelta: every file is read; unchanged blocks are found by their hashes");
            upTo = Long.MIN_VALUE;
        }
        return new FileBlockReader.Rules(byPath, upTo, checksums, start.value());
    }

    private static FileBlockReader.Item inMemory(String path, String content, long mtime) {
        return inMemory(path, content.getBytes(StandardCharsets.UTF_8), mtime);
    }

    private static FileBlockReader.Item inMemory(String path, byte[] content, long mtime) {
        return new FileBlockReader.Item(new BlockManifest.Entry(path, 'f', content.length, 0600, mtime, null, null),
                () -> (InputStream) new ByteArrayInputStream(content), null);
    }
}
