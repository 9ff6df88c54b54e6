package io.pgvault.recovery;

import io.pgvault.cluster.ClusterAccess;
import io.pgvault.cluster.LocalPostgres;
import io.pgvault.job.Cancellation;
import io.pgvault.job.JobContext;
import io.pgvault.wal.WalCommands;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;
import java.util.function.Consumer;
import org.springframework.stereotype.Component;

/**
 * Standing standbys: copies of a BASE backup that are never promoted, for the continuous proof of a cluster's
 * archive. A drill's copy recovers to the end and goes; a standby stays in standby mode (standby.signal,
 * recovery_target_timeline 'latest') and keeps asking pgvault for the next segment, so that PostgreSQL replays
 * every segment within seconds of its arrival. Its restore_command never ends replay (a standby that cannot get
 * a segment waits and asks again), so it outlives a pgvault restart; its WAL credential may fetch every later
 * timeline too, and is renewed while the standby stands. The directory is the standby's identity: a server found
 * running there is adopted, a stopped one is started again there, never a second copy.
 */
@Component
public class StandbyCopies {

    /** A standby started again was consistent before: it answers within this, or something is wrong. */
    private static final java.time.Duration RESUME_LIMIT = java.time.Duration.ofMinutes(2);

    private final RecoveryRoots roots;
    private final DataDirectories directories;
    private final DataDirectoryWriter writer;
    private final ServerWatcher watcher;
    private final ServerUserFiles files;
    private final LocalPostgres postgres;
    private final ClusterAccess access;
    private final CopyTokens tokens;

    StandbyCopies(RecoveryRoots roots, DataDirectories directories, DataDirectoryWriter writer, ServerWatcher watcher,
            ServerUserFiles files, LocalPostgres postgres, ClusterAccess access, CopyTokens tokens) {
        this.roots = roots;
        this.directories = directories;
        this.writer = writer;
        this.watcher = watcher;
        this.files = files;
        this.postgres = postgres;
        this.access = access;
        this.tokens = tokens;
    }

    /** A standby: its directory, port, and the job whose WAL credential it fetches with. */
    public record Standby(String cluster, Path directory, int port, UUID jobId) {
    }

    /**
     * What the standby replayed: pg_last_wal_replay_lsn() and pg_last_xact_replay_timestamp(); whether someone
     * paused its replay (pg_wal_replay_pause()).
     */
    public record Replay(String lsn, Instant time, boolean paused) {
    }

    /**
     * Restores {@code point}'s backup into a new directory below the drill directory, as a standby, starts it and
     * waits until it accepts read-only connections (consistent). On failure nothing is left behind.
     */
    public Standby restore(RecoveryService.PointPlan point, JobContext context) throws Exception {
        String cluster = point.backup().cluster();
        Path directory = roots.drills().resolve("standby-" + context.jobId());
        DataDirectories.Claim claim = directories.claim(roots.drills(), directory);
        Standby standby = new Standby(cluster, directory, Ports.free(), context.jobId());
        try {
            RecoveryPlan plan = new RecoveryPlan(point.target(), point.inclusive(), RecoveryAction.PROMOTE, "latest",
                    point.backup().id(), directory.toString(), null, true, false, point.walFrom(), point.walTo(),
                    point.promised(), true);
            String token = tokens.issue(cluster, context.jobId(), point.backup().id(), directory, point.promised(),
                    tokens.scope(point.backup(), plan).following());
            writer.write(plan, point.backup(), directory, standby.port(), null, WalCommands.header(token), context);
            writer.standby(directory, cluster, context);
            directories.release(claim);
            context.phase("starting the standby on port " + standby.port() + " and replaying to consistency");
            start(standby, context.cancellation(), null);
            return standby;
        } catch (Exception e) {
            watcher.stopQuietly(directory);
            directories.undo(claim, context::log);
            tokens.revokeJob(context.jobId(), "the standby could not be made");
            throw e;
        }
    }

    /**
     * Starts a stopped standby again from its directory and waits until it answers; the port it listens on
     * (another one when its own was taken meanwhile).
     */
    public int resume(Standby standby) throws IOException, InterruptedException {
        Standby on = standby;
        if (Ports.inUse(standby.port())) {
            on = new Standby(standby.cluster(), standby.directory(), Ports.free(), standby.jobId());
        }
        start(on, Cancellation.none(), RESUME_LIMIT);
        tokens.renew(standby.jobId());
        return on.port();
    }

    /** {@code limit}: how long it may take to answer (null: as long as the job may run). */
    private void start(Standby standby, Cancellation cancellation, java.time.Duration limit)
            throws IOException, InterruptedException {
        long deadline = limit == null ? Long.MAX_VALUE : System.nanoTime() + limit.toNanos();
        Path directory = standby.directory();
        LocalPostgres.Started started = postgres.start(directory, directory.resolve(ServerWatcher.LOG_NAME),
                standby.port(), null, 10, cancellation);
        if (started == LocalPostgres.Started.EXITED) {
            throw new IllegalStateException("the standby exited during start-up: " + ServerWatcher.tail(log(directory), 8));
        }
        long checked = System.nanoTime();
        while (true) {
            cancellation.throwIfCancelled();
            if (!postgres.mayBeRunning(directory) || System.nanoTime() - checked > 2_000_000_000L
                    && !postgres.isRunning(directory)) {
                throw new IllegalStateException("the standby stopped before it was consistent: "
                        + ServerWatcher.tail(log(directory), 8));
            }
            if (System.nanoTime() - checked > 2_000_000_000L) {
                checked = System.nanoTime();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the standby in " + directory + " did not answer within " + limit
                        + ": " + ServerWatcher.tail(log(directory), 4));
            }
            try (Connection c = access.connectToLocalCopy(standby.cluster(), standby.port());
                    Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select pg_is_in_recovery()")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw new IllegalStateException("the standby in " + directory + " left recovery");
                }
                return;
            } catch (SQLException e) {
                String state = e.getSQLState() == null ? "" : e.getSQLState();
                if (state.startsWith("28") || state.startsWith("3D")) {
                    throw new IllegalStateException("pgvault cannot connect to the standby on port " + standby.port()
                            + " (its pg_hba.conf and roles are the source's): " + e.getMessage(), e);
                }
            }
            Thread.sleep(250);
        }
    }

    /** Whether a server runs in the standby's directory (pg_ctl status: its pid file names a live postmaster). */
    public boolean running(Path directory) {
        try {
            return postgres.mayBeRunning(directory) && postgres.isRunning(directory);
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Whether the directory still holds a data directory. */
    public boolean exists(Path directory) {
        try {
            return files.exists(directory.resolve("PG_VERSION"));
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The postmaster's pid from its pid file, or null. */
    public Long pid(Path directory) {
        try {
            byte[] head = files.readIfExists(directory.resolve("postmaster.pid"), 32);
            String first = head == null ? "" : new String(head, StandardCharsets.US_ASCII).lines().findFirst()
                    .orElse("").strip();
            return first.matches("\\d{1,10}") ? Long.valueOf(first) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** What the standby replayed so far; throws when it does not answer. */
    public Replay replay(Standby standby) throws SQLException {
        try (Connection c = access.connectToLocalCopy(standby.cluster(), standby.port());
                Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                        "select pg_last_wal_replay_lsn()::text, pg_last_xact_replay_timestamp(), pg_is_wal_replay_paused()")) {
            rs.next();
            OffsetDateTime time = rs.getObject(2, OffsetDateTime.class);
            return new Replay(rs.getString(1), time == null ? null : time.toInstant(), rs.getBoolean(3));
        }
    }

    /** The standby's server log as it is now (the last 256 KiB). */
    public String log(Path directory) {
        return watcher.log(directory);
    }

    /** Its WAL credential lives on for another full TTL. */
    public void renew(UUID jobId) {
        tokens.renew(jobId);
    }

    /** Stops the standby with a fast shutdown (pgvault itself stops); it is started again from its directory. */
    public void stop(Path directory) throws IOException, InterruptedException {
        if (postgres.mayBeRunning(directory) && postgres.isRunning(directory)) {
            postgres.stop(directory, "fast", Cancellation.none());
        }
    }

    /** Stops the standby, removes its directory and revokes its WAL credential. */
    public void remove(Standby standby, String why, Consumer<String> log) {
        watcher.stopQuietly(standby.directory());
        try {
            directories.removeIfExists(roots.drills(), standby.directory(), log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.accept("pgvault: could not remove " + standby.directory() + ": " + e.getMessage());
        }
        tokens.revokeJob(standby.jobId(), why);
    }

    /** Removes what a job that died while it made a standby left behind. */
    public void removeLeftover(UUID jobId, Consumer<String> log) {
        remove(new Standby(null, roots.drills().resolve("standby-" + jobId), 0, jobId), "the job that made the "
                + "standby ended unseen", log);
    }
}
