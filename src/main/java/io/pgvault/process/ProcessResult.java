package io.pgvault.process;

import java.time.Duration;

/** How a process ended. {@code stderrTail} is the last lines it wrote to stderr (bounded). */
public record ProcessResult(int exitCode, String stderrTail, Duration duration) {
}
