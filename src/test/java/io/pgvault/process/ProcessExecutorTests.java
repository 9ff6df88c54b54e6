package io.pgvault.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.job.Cancellation;
import io.pgvault.job.JobCancelledException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executor against tiny real programs: exit codes, streams, environment, timeouts and cancel. */
class ProcessExecutorTests {

    private final ProcessExecutor executor = new ProcessExecutor();
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");

    private static ProcessSpec sh(String script) {
        return ProcessSpec.of(List.of("/bin/sh", "-c", script)).environment(ENV);
    }

    @Test
    void streamsStdoutAndReportsStderrLines() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> lines = new CopyOnWriteArrayList<>();
        ProcessResult result = executor.run(sh("printf 'data'; echo one >&2; echo two >&2")
                .stdout(out).stderrLines(lines::add), Cancellation.none());
        assertThat(result.exitCode()).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("data");
        assertThat(lines).containsExactly("one", "two");
        assertThat(result.stderrTail()).isEqualTo("one\ntwo");
    }

    @Test
    void feedsStdin() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        executor.run(ProcessSpec.of(List.of("/bin/cat")).environment(ENV)
                .stdin(new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8))).stdout(out),
                Cancellation.none());
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello");
    }

    @Test
    void passesOnlyTheGivenEnvironment() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        executor.run(ProcessSpec.of(List.of("/usr/bin/env")).environment(Map.of("ONLY", "this")).stdout(out),
                Cancellation.none());
        assertThat(out.toString(StandardCharsets.UTF_8).strip()).isEqualTo("ONLY=this");
    }

    @Test
    void failsOnADisallowedExitCodeWithTheLastStderrLines() {
        assertThatThrownBy(() -> executor.run(sh("echo 'pg_dump: error: boom' >&2; exit 3"), Cancellation.none()))
                .isInstanceOf(ToolFailedException.class)
                .hasMessageContaining("exit code 3")
                .hasMessageContaining("boom");
    }

    @Test
    void aFailuresMessageNamesTheToolsErrorNotTheQueryThatFollowsIt() {
        // pg_dump losing its server mid-query: the error, then the query it ran, many lines long
        String stderr = "echo 'pg_dump: error: query failed: server closed the connection unexpectedly' >&2; "
                + "echo 'pg_dump: detail: Query was: SELECT c.oid' >&2; for i in 1 2 3 4 5 6; do echo \"  LEFT JOIN x$i\" >&2; done; exit 1";
        assertThatThrownBy(() -> executor.run(sh(stderr), Cancellation.none()))
                .hasMessageContaining("server closed the connection unexpectedly").hasMessageNotContaining("LEFT JOIN");
    }

    @Test
    void acceptsConfiguredExitCodes() throws Exception {
        assertThat(executor.run(sh("exit 1").okExitCodes(0, 1), Cancellation.none()).exitCode()).isEqualTo(1);
    }

    @Test
    void timeoutEndsTheWholeProcessTree(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("child.pid");
        // the run ends at its timeout, not with the 300 s sleep: a deadline far below that, no measured time
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(() -> executor.run(
                sh("sleep 300 & echo $! > " + pidFile + "; wait").timeout(Duration.ofMillis(800)),
                Cancellation.none()))
                .isInstanceOf(ToolFailedException.class).hasMessageContaining("timed out"));
        assertGone(Long.parseLong(Files.readString(pidFile).strip()));
    }

    @Test
    void cancelEndsTheWholeProcessTree(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("child.pid");
        Cancellation cancellation = new Cancellation();
        CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
            try {
                executor.run(sh("sleep 300 & echo $! > " + pidFile + "; wait"), cancellation);
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        long deadline = System.currentTimeMillis() + 10_000;
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
            assertThat(System.currentTimeMillis()).isLessThan(deadline);
            Thread.sleep(20);
        }
        cancellation.cancel("cancelled on request");
        assertThat(outcome.get(20, TimeUnit.SECONDS)).isInstanceOf(JobCancelledException.class)
                .hasMessage("cancelled on request");
        assertGone(Long.parseLong(Files.readString(pidFile).strip()));
    }

    @Test
    void aFailingSinkStopsTheToolAndSurfacesTheError() {
        OutputStream full = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        assertThatThrownBy(() -> executor.run(sh("yes pgvault").stdout(full).timeout(Duration.ofSeconds(30)),
                Cancellation.none()))
                .isInstanceOf(IOException.class).hasMessageContaining("No space left");
    }

    @Test
    void neverStartsWhenAlreadyCancelled() {
        Cancellation cancellation = new Cancellation();
        cancellation.cancel("stop");
        assertThatThrownBy(() -> executor.run(sh("exit 0"), cancellation)).isInstanceOf(JobCancelledException.class);
    }

    private static void assertGone(long pid) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            assertThat(System.currentTimeMillis()).as("process %d still alive", pid).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
