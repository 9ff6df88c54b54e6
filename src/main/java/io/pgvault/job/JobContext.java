package io.pgvault.job;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.UUID;
import java.util.function.LongSupplier;

/** What a running job sees: its identity and payload, and where to report phase, bytes and log lines. */
public final class JobContext {

    private final Job job;
    private final Cancellation cancellation = new Cancellation();
    private final Deque<String> log = new ArrayDeque<>();
    private final int logLimit;
    private int logBytes;
    private boolean logTruncated;
    private volatile String phase = "running";
    private volatile long bytesDone;
    private volatile Long bytesTotal;
    private volatile LongSupplier progressSource;
    private volatile String result;

    JobContext(Job job, int logLimit) {
        this.job = job;
        this.logLimit = logLimit;
    }

    public UUID jobId() {
        return job.getId();
    }

    public String cluster() {
        return job.getCluster();
    }

    public UUID backupId() {
        return job.getBackupId();
    }

    public String payload() {
        return job.getPayload();
    }

    public Cancellation cancellation() {
        return cancellation;
    }

    public void phase(String phase) {
        this.phase = Job.truncate(phase, 255);
    }

    public void bytes(long done, Long total) {
        this.bytesDone = done;
        this.bytesTotal = total;
    }

    public void bytesDone(long done) {
        this.bytesDone = done;
    }

    /** A source the heartbeat reads bytes done from, for tools that write their files themselves. */
    public void progress(LongSupplier source) {
        this.progressSource = source;
    }

    /** What the job found or reached, as JSON (e.g. a recovery's end point); shown with the job. */
    public void result(String json) {
        this.result = json;
    }

    String result() {
        return result;
    }

    /** Adds a line to the job's log; the log keeps the newest lines within its limit. */
    public synchronized void log(String line) {
        log.addLast(line);
        logBytes += line.length() + 1;
        while (logBytes > logLimit && log.size() > 1) {
            logBytes -= log.removeFirst().length() + 1;
            logTruncated = true;
        }
    }

    synchronized String logText() {
        String text = String.join("\n", log);
        return logTruncated ? "[earlier lines dropped]\n" + text : text;
    }

    String currentPhase() {
        return phase;
    }

    long currentBytesDone() {
        LongSupplier source = progressSource;
        return source != null ? Math.max(bytesDone, source.getAsLong()) : bytesDone;
    }

    Long currentBytesTotal() {
        return bytesTotal;
    }
}
