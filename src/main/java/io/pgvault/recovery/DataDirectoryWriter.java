package io.pgvault.recovery;

import io.pgvault.backup.BackupView;
import io.pgvault.backup.physical.BaseBackupArchive;
import io.pgvault.cluster.LocalPostgres;
import io.pgvault.job.JobContext;
import io.pgvault.wal.ArchivedWal;
import io.pgvault.wal.Lsn;
import io.pgvault.wal.WalArchiveService;
import io.pgvault.wal.WalCommands;
import io.pgvault.wal.WalFileName;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Writes a claimed data directory, every byte with the PostgreSQL OS user's rights: the base backup's tar files
 * unpacked by tar running as that user, the configuration for a copy, restore_command and the target merged
 * into postgresql.auto.conf, recovery.signal, and the WAL credential's header file. A delta restore
 * ({@link DeltaWriter}) brings the cluster's own directory to the backup instead of unpacking into an empty one.
 */
@Component
class DataDirectoryWriter {

    private static final long AUTO_CONF_LIMIT = 1024 * 1024;

    /** Tar processes unpacking a BLOCKS backup side by side (BaseBackupArchive#openPlain). */
    static final int UNTAR_STREAMS = Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private final BaseBackupArchive archive;
    private final ServerUserFiles files;
    private final CopyConfiguration configuration;
    private final LocalPostgres postgres;
    private final WalArchiveService wal;
    private final Environment environment;
    private final DeltaWriter deltas;

    DataDirectoryWriter(BaseBackupArchive archive, ServerUserFiles files, CopyConfiguration configuration,
            LocalPostgres postgres, WalArchiveService wal, Environment environment, DeltaWriter deltas) {
        this.deltas = deltas;
        this.archive = archive;
        this.files = files;
        this.configuration = configuration;
        this.postgres = postgres;
        this.wal = wal;
        this.environment = environment;
    }

    /**
     * Everything before the server starts. {@code movedAside}: the replaced directory of an in-place recovery
     * (its unarchived WAL is carried over, its configuration is the cluster's own), null for a copy.
     */
    void write(RecoveryPlan plan, BackupView backup, Path directory, int port, Path movedAside, String header,
            JobContext context) throws IOException, InterruptedException {
        Set<String> names;
        boolean inPlaceTablespaces = false;
        if (plan.delta()) {
            // the old server's unarchived WAL stays where it is (read before anything changes)
            Set<String> unarchived = new HashSet<>();
            for (String name : unarchivedWal(directory, backup.cluster(), context)) {
                unarchived.add("pg_wal/" + name);
            }
            inPlaceTablespaces = deltas.write(backup, directory, unarchived, context);
            names = new HashSet<>(files.list(directory));
        } else {
            context.phase("extracting the base backup");
            names = extract(backup, directory, context);
        }
        boolean copy = movedAside == null && !plan.delta();
        context.phase("writing the recovery configuration");
        FileBatch batch = new FileBatch(directory);
        if (copy) {
            configuration.lay(backup, directory, port, names, batch, context);
        }
        List<Path> stale = Stream.of("standby.signal", "postmaster.pid").filter(names::contains)
                .map(directory::resolve).toList();
        if (!stale.isEmpty()) {
            files.remove(stale.toArray(Path[]::new));
        }
        if (movedAside != null) {
            carryOverWal(movedAside, directory, backup.cluster(), context);
        }
        List<String> lines = new java.util.ArrayList<>(RecoveryConfig.lines(plan, walUrl(backup.cluster()), port,
                copy));
        if (plan.delta() ? inPlaceTablespaces
                : archive.partsOf(backup).stream().anyMatch(p -> p.into().startsWith("pg_tblspc/"))) {
            // each tablespace was unpacked into a directory in place of its link (never over the source's own
            // path; a delta restore does so for a link it found missing); PostgreSQL 15 (and the 2022 minors of
            // 10-14) refuse such directories unless allowed
            lines.add(RecoveryConfig.setting("allow_in_place_tablespaces", "on"));
        }
        byte[] own = names.contains("postgresql.auto.conf")
                ? files.readIfExists(directory.resolve("postgresql.auto.conf"), AUTO_CONF_LIMIT) : null;
        List<String> existing = own == null ? List.of() : new String(own, StandardCharsets.UTF_8).lines().toList();
        List<String> merged = RecoveryConfig.merge(existing, lines);
        existing.stream().filter(l -> !merged.contains(l))
                .forEach(l -> context.log("pgvault: postgresql.auto.conf: removed the backup's " + l));
        batch.file(directory.resolve("postgresql.auto.conf"), String.join("\n", merged) + "\n");
        batch.file(directory.resolve("recovery.signal"), new byte[0]);
        batch.file(directory.resolve(WalCommands.HEADER_FILE), header);
        files.writeAll(directory, batch);
        lines.stream().filter(l -> !l.isEmpty()).forEach(l -> context.log("pgvault: postgresql.auto.conf: " + l));
    }

    /**
     * Turns a written copy into a standing standby: standby.signal instead of recovery.signal, hot_standby on, and a
     * restore_command that never ends replay (a standby waits for the next segment; pgvault restarting must not
     * stop it). Called after {@link #write}, before the server starts.
     */
    void standby(Path directory, String cluster, JobContext context) throws IOException, InterruptedException {
        List<String> lines = List.of("", "# added by pgvault: a standing standby that follows the archive, never "
                + "promoted", RecoveryConfig.setting("restore_command", WalCommands.standbyRestoreCommand(
                        walUrl(cluster))), RecoveryConfig.setting("recovery_target_timeline", "latest"),
                RecoveryConfig.setting("hot_standby", "on"));
        byte[] own = files.readIfExists(directory.resolve("postgresql.auto.conf"), AUTO_CONF_LIMIT);
        List<String> existing = own == null ? List.of() : new String(own, StandardCharsets.UTF_8).lines().toList();
        FileBatch batch = new FileBatch(directory);
        batch.file(directory.resolve("postgresql.auto.conf"),
                String.join("\n", RecoveryConfig.merge(existing, lines)) + "\n");
        batch.file(directory.resolve("standby.signal"), new byte[0]);
        files.remove(directory.resolve("recovery.signal"));
        files.writeAll(directory, batch);
        context.log("pgvault: standby.signal written (instead of recovery.signal); hot_standby = on; restore_command "
                + "waits for missing WAL instead of ending replay");
    }

    /** Replaces the header file (the archive token once an in-place recovery is done with its fetch-only one). */
    void writeHeader(Path directory, String header) throws IOException, InterruptedException {
        files.write(directory.resolve(WalCommands.HEADER_FILE), header);
    }

    /** Unpacks the backup's tar files; returns the names in the data directory once base.tar is in. */
    private Set<String> extract(BackupView backup, Path directory, JobContext context)
            throws IOException, InterruptedException {
        long total = BaseBackupArchive.storedBytes(backup);
        java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
        long started = System.nanoTime();
        Set<String> names = null;
        for (BaseBackupArchive.Part part : archive.partsOf(backup)) {
            Path into = part.into().isEmpty() ? directory : directory.resolve(part.into());
            if (names == null && !part.into().isEmpty()) {
                names = new HashSet<>(files.list(directory));
            }
            boolean there = part.into().equals("pg_wal") && names.contains("pg_wal");
            if (!part.into().isEmpty() && !there) {
                files.mkdir(into);
            }
            untar(archive.openPlain(backup, part.file(), UNTAR_STREAMS, n -> context.bytes(done.addAndGet(n), total)),
                    into, context);
        }
        context.log(String.format("pgvault: unpacked in %.1f s (%d bytes of the backup read)",
                (System.nanoTime() - started) / 1e9, done.get()));
        return names != null ? names : new HashSet<>(files.list(directory));
    }

    /**
     * Tar processes writing side by side, as many as there are streams: the first failure closes the other streams (so
     * that their tars end, failing), and is thrown once all have ended.
     */
    private void untar(List<InputStream> streams, Path into, JobContext context)
            throws IOException, InterruptedException {
        if (streams.size() == 1) {
            try (InputStream plain = streams.get(0)) {
                files.untar(plain, into, context.cancellation());
            }
            return;
        }
        java.util.concurrent.ExecutorService tars = java.util.concurrent.Executors.newFixedThreadPool(streams.size(),
                io.pgvault.job.DaemonThreads.named("pgvault-untar"));
        try {
            List<java.util.concurrent.Future<Void>> running = new java.util.ArrayList<>();
            for (InputStream stream : streams) {
                running.add(tars.submit(() -> {
                    try (InputStream plain = stream) {
                        files.untar(plain, into, context.cancellation());
                    }
                    return null;
                }));
            }
            Exception first = null;
            for (java.util.concurrent.Future<Void> f : running) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (first == null) {
                        first = e.getCause() instanceof Exception cause ? cause : new IOException(e.getCause());
                        for (InputStream stream : streams) {
                            closeQuietly(stream);
                        }
                    }
                }
            }
            if (first instanceof IOException io) {
                throw io;
            }
            if (first instanceof InterruptedException ie) {
                throw ie;
            }
            if (first instanceof RuntimeException re) {
                throw re;
            }
            if (first != null) {
                throw new IOException(first.getMessage(), first);
            }
        } finally {
            io.pgvault.job.DaemonThreads.stopAndWait(tars);
        }
    }

    private static void closeQuietly(InputStream stream) {
        try {
            stream.close();
        } catch (IOException ignored) {
            // its tar fails on the cut stream, which is what closing is for
        }
    }

    /**
     * The WAL an in-place recovery must not lose: the replaced server's segments that never reached the
     * archive (the last, unfinished one at least), up to its shutdown checkpoint, copied into the new pg_wal.
     * restore_command finds them missing in the archive and PostgreSQL then reads them from there.
     */
    private void carryOverWal(Path aside, Path directory, String cluster, JobContext context)
            throws IOException, InterruptedException {
        List<String> carried = unarchivedWal(aside, cluster, context);
        if (carried.isEmpty()) {
            return;
        }
        Path target = directory.resolve("pg_wal");
        if (!files.exists(target)) {
            files.mkdir(target);
        }
        for (String name : carried) {
            files.copy(aside.resolve("pg_wal").resolve(name), target.resolve(name));
            context.log("pgvault: carried over " + name + " from the replaced server (not archived)");
        }
    }

    /**
     * The old server's segments in {@code old}'s pg_wal that never reached the archive, up to its last checkpoint
     * on its timeline (the last, unfinished one at least).
     */
    private List<String> unarchivedWal(Path old, String cluster, JobContext context)
            throws IOException, InterruptedException {
        List<String> unarchived = new java.util.ArrayList<>();
        Map<String, String> control;
        try {
            control = postgres.controlData(old);
        } catch (IOException e) {
            context.log("pgvault: could not read the replaced server's pg_control (" + e.getMessage()
                    + "); no WAL carried over");
            return unarchived;
        }
        String checkpoint = control.get("Latest checkpoint location");
        String tli = control.get("Latest checkpoint's TimeLineID");
        Path oldWal = old.resolve("pg_wal");
        if (checkpoint == null || tli == null || !files.exists(oldWal)) {
            context.log("pgvault: could not read the replaced server's last checkpoint; no WAL carried over");
            return unarchived;
        }
        ArchivedWal archived = wal.archived(cluster);
        long timeline = Long.parseLong(tli);
        long last = Lsn.parse(checkpoint).segment(archived.segmentSize());
        for (String name : files.list(oldWal)) {
            if (!WalFileName.isSegment(name)) {
                continue;
            }
            WalFileName parsed = WalFileName.parse(name);
            long position = parsed.position(archived.segmentSize());
            if (parsed.timeline() == timeline && position <= last && !archived.has(timeline, position)) {
                unarchived.add(name);
            }
        }
        return unarchived;
    }

    private String walUrl(String cluster) {
        String port = environment.getProperty("local.server.port", environment.getProperty("server.port", "8080"));
        return "http://127.0.0.1:" + port + "/api/v1/clusters/" + cluster + "/wal/";
    }
}
