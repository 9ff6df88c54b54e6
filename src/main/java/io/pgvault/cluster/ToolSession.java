package io.pgvault.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment for running tools against one cluster. A stored password lives only in a 0600
 * PGPASSFILE that exists for the session's lifetime; it is never in argv or a log line.
 */
public final class ToolSession implements AutoCloseable {

    private final ClusterTarget target;
    private final Map<String, String> base;
    private final Path passFile;

    ToolSession(ClusterTarget target, Map<String, String> base, Path passFile) {
        this.target = target;
        this.base = base;
        this.passFile = passFile;
    }

    public ClusterTarget target() {
        return target;
    }

    /** Absolute path of a tool from the cluster's tool set. */
    public String tool(String name) {
        return target.tools().path(name);
    }

    /** A libpq connection string naming only the database; host, port and user come from the environment. */
    public static String conninfo(String database) {
        return "dbname='" + database.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** The environment for a tool connecting to {@code database} (null: the tool's default). */
    public Map<String, String> environment(String database) {
        Map<String, String> env = new LinkedHashMap<>(base);
        if (database != null) {
            env.put("PGDATABASE", database);
        }
        return env;
    }

    @Override
    public void close() {
        if (passFile != null) {
            try {
                Files.deleteIfExists(passFile);
            } catch (IOException e) {
                throw new UncheckedIOException("could not remove a temporary password file", e);
            }
        }
    }
}
