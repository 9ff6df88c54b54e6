package io.pgvault.process;

/** A tool ended badly: a disallowed exit code or a timeout. The message holds the tool's last stderr lines. */
public class ToolFailedException extends RuntimeException {

    public ToolFailedException(String message) {
        super(message);
    }
}
