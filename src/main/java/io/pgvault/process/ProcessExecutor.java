package io.pgvault.process;

import io.pgvault.job.Cancellation;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Runs every external tool. argv only, no shell; the environment is exactly what the spec gives
 * (it is never logged); stdout streams to the spec's sink, stderr goes line by line to its listener
 * and a bounded tail; timeouts and cancels end the whole process tree.
 */
@Component
public class ProcessExecutor {

    private static final Logger log = LoggerFactory.getLogger(ProcessExecutor.class);
    private static final int STDERR_TAIL_BYTES = 64 * 1024;
    private static final Duration GRACE = Duration.ofSeconds(5);

    public ProcessResult run(ProcessSpec spec, Cancellation cancellation) throws IOException, InterruptedException {
        cancellation.throwIfCancelled();
        ProcessBuilder builder = new ProcessBuilder(spec.command);
        builder.environment().clear();
        builder.environment().putAll(spec.environment);
        if (spec.workingDirectory != null) {
            builder.directory(spec.workingDirectory.toFile());
        }
        builder.redirectInput(spec.stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null"))
                : ProcessBuilder.Redirect.PIPE);
        builder.redirectOutput(spec.stdout == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.PIPE);
        long started = System.nanoTime();
        log.debug("Starting {}", spec.program());
        Process process = builder.start();
        AtomicReference<IOException> pumpFailure = new AtomicReference<>();
        StderrTail tail = new StderrTail();
        Thread stderr = daemon(spec.program() + "-stderr", () -> readStderr(process.getErrorStream(), spec, tail));
        Thread stdout = spec.stdout == null ? null
                : daemon(spec.program() + "-stdout", () -> pump(process.getInputStream(), spec.stdout, process, pumpFailure));
        Thread stdin = spec.stdin == null ? null
                : daemon(spec.program() + "-stdin", () -> pumpStdin(spec.stdin, process.getOutputStream(), process, pumpFailure));
        try (AutoCloseable ignored = cancellation.onCancel(() -> killTree(process))) {
            boolean ended = process.waitFor(spec.timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!ended) {
                killTree(process);
                join(stdout, stdin, stderr);
                throw new ToolFailedException(spec.program() + " timed out after " + spec.timeout
                        + " and was stopped" + tail.describe());
            }
            join(stdout, stdin, stderr);
        } catch (InterruptedException e) {
            killTree(process);
            throw e;
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        cancellation.throwIfCancelled();
        if (pumpFailure.get() != null) {
            throw pumpFailure.get();
        }
        int exit = process.exitValue();
        if (!spec.okExitCodes.contains(exit)) {
            throw new ToolFailedException(spec.program() + " failed with exit code " + exit + tail.describe());
        }
        return new ProcessResult(exit, tail.text(), Duration.ofNanos(System.nanoTime() - started));
    }

    /** Ends a process and everything it started: SIGTERM first, SIGKILL after a grace period. */
    static void killTree(Process process) {
        List<ProcessHandle> all = process.descendants().toList();
        all.forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        all.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private static void pump(InputStream in, OutputStream out, Process process, AtomicReference<IOException> failure) {
        byte[] buffer = new byte[256 * 1024];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            failure.compareAndSet(null, e);
            killTree(process);
        }
    }

    private static void pumpStdin(InputStream in, OutputStream out, Process process, AtomicReference<IOException> failure) {
        // large writes: a base backup's tar goes through here to tar, gigabytes of it
        byte[] buffer = new byte[256 * 1024];
        try (in; out) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            if (process.isAlive()) {
                failure.compareAndSet(null, e);
                killTree(process);
            }
        }
    }

    private static void readStderr(InputStream in, ProcessSpec spec, StderrTail tail) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                tail.add(line);
                try {
                    spec.stderrLines.accept(line);
                } catch (RuntimeException e) {
                    log.warn("stderr listener failed: {}", e.toString());
                }
            }
        } catch (IOException e) {
            log.debug("stderr of {} closed: {}", spec.program(), e.toString());
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void join(Thread... threads) throws InterruptedException {
        for (Thread t : threads) {
            if (t != null) {
                t.join();
            }
        }
    }

    /** The last lines of stderr, at most 64 KiB. */
    private static final class StderrTail {
        private final Deque<String> lines = new ArrayDeque<>();
        private int bytes;

        synchronized void add(String line) {
            lines.addLast(line);
            bytes += line.length() + 1;
            while (bytes > STDERR_TAIL_BYTES && lines.size() > 1) {
                bytes -= lines.removeFirst().length() + 1;
            }
        }

        synchronized String text() {
            return String.join("\n", lines);
        }

        /**
         * The tool's own error lines ("pg_dump: error: ...", "FATAL: ..."), the last three of them, else the
         * last five lines: the detail lines that follow an error (a multi-line query) say less than it.
         */
        synchronized String describe() {
            List<String> errors = lines.stream().filter(StderrTail::isError).toList();
            List<String> chosen = errors.isEmpty() ? lines.stream().skip(Math.max(0, lines.size() - 5)).toList()
                    : errors.subList(Math.max(0, errors.size() - 3), errors.size());
            return chosen.isEmpty() ? "" : ": " + String.join(" | ", chosen);
        }

        private static boolean isError(String line) {
            return line.contains(": error: ") || line.startsWith("ERROR: ") || line.contains("FATAL: ")
                    || line.startsWith("error: ");
        }
    }
}
