package io.pgvault.process;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What to run: an argv list (never a shell), an explicit environment, where stdout goes, who hears
 * stderr, a timeout and the exit codes that count as success.
 */
public final class ProcessSpec {

    final List<String> command;
    final Map<String, String> environment = new LinkedHashMap<>();
    Path workingDirectory;
    Duration timeout = Duration.ofHours(6);
    Set<Integer> okExitCodes = Set.of(0);
    OutputStream stdout;
    InputStream stdin;
    Consumer<String> stderrLines = line -> { };

    private ProcessSpec(List<String> command) {
        if (command.isEmpty() || command.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("a command needs a program and no null arguments");
        }
        this.command = List.copyOf(command);
    }

    public static ProcessSpec of(List<String> command) {
        return new ProcessSpec(command);
    }

    public ProcessSpec environment(Map<String, String> env) {
        environment.putAll(env);
        return this;
    }

    public ProcessSpec workingDirectory(Path dir) {
        this.workingDirectory = dir;
        return this;
    }

    public ProcessSpec timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    public ProcessSpec okExitCodes(Integer... codes) {
        this.okExitCodes = Set.of(codes);
        return this;
    }

    /** stdout is copied into this stream; without one it is discarded. */
    public ProcessSpec stdout(OutputStream out) {
        this.stdout = out;
        return this;
    }

    /** This stream feeds the process's stdin; without one stdin is empty. */
    public ProcessSpec stdin(InputStream in) {
        this.stdin = in;
        return this;
    }

    public ProcessSpec stderrLines(Consumer<String> consumer) {
        this.stderrLines = consumer;
        return this;
    }

    public String program() {
        return Path.of(command.get(0)).getFileName().toString();
    }

    public List<String> command() {
        return command;
    }
}
