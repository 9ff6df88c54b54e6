package io.pgvault.recovery;

import io.pgvault.backup.BackupView;
import io.pgvault.backup.ServerConfig;
import io.pgvault.cluster.ConfSyntax;
import io.pgvault.cluster.LocalPostgres;
import io.pgvault.job.JobContext;
import io.pgvault.storage.BackupStorage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * Makes an extracted base backup a server that starts where it is. A backup of a server that keeps its
 * configuration outside the data directory (Debian's /etc/postgresql/VERSION/NAME) holds no postgresql.conf
 * in base.tar: the files the backup captured are laid into the copy with every path that named the source's
 * data or configuration directory, and the port, rewritten; where nothing was captured a minimal working
 * configuration is written instead, sized to what pg_control demands of a server replaying this WAL. The job
 * log says which of the two happened. An in-place recovery keeps the cluster's own configuration untouched.
 */
@Component
class CopyConfiguration {

    /** Names in a data directory that a captured file must never land on. */
    private static final Set<String> DATA_NAMES = Set.of("base", "global", "pg_wal", "pg_xact", "pg_tblspc",
            "pg_multixact", "pg_subtrans", "pg_commit_ts", "pg_logical", "pg_replslot", "pg_snapshots",
            "pg_stat", "pg_stat_tmp", "pg_twophase", "pg_notify", "pg_serial", "pg_dynshmem", "PG_VERSION",
            "postgresql.auto.conf", "postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map");
    /** Settings of a source that a copy must not share: it would write the source's pid file or stats. */
    private static final Set<String> DROPPED = Set.of("data_directory", "external_pid_file", "stats_temp_directory");
    private static final String AWAY = "pgvault-config";

    private final BackupStorage storage;
    private final LocalPostgres postgres;

    CopyConfiguration(BackupStorage storage, LocalPostgres postgres) {
        this.storage = storage;
        this.postgres = postgres;
    }

    /**
     * For a copy in a new directory: the captured configuration, or a minimal one, unless base.tar holds the
     * server's own (its configuration lived in the data directory). {@code names}: what the data directory
     * holds now; the files go into {@code batch}.
     */
    void lay(BackupView backup, Path directory, int port, Set<String> names, FileBatch batch, JobContext context)
            throws IOException, InterruptedException {
        ServerConfig config = backup.serverConfig();
        boolean hasOwn = names.contains("postgresql.conf");
        if (hasOwn && (config == null || !config.configOutsideDataDirectory())) {
            context.log("pgvault: configuration: the backup's own postgresql.conf, pg_hba.conf and pg_ident.conf "
                    + "(they live in the data directory)");
            return;
        }
        if (config != null && config.configOutsideDataDirectory() && config.captured()) {
            layCaptured(backup, config, directory, port, batch, context);
            return;
        }
        writeMinimal(backup, directory, names, batch, context);
    }

    private void layCaptured(BackupView backup, ServerConfig config, Path directory, int port, FileBatch batch,
            JobContext context) throws IOException {
        Map<Path, Path> places = places(config, directory);
        for (String dir : config.directories()) {
            batch.directory(places.get(Path.of(dir)));
        }
        List<String> rewritten = new ArrayList<>();
        for (ServerConfig.File f : config.files()) {
            Path original = Path.of(f.path());
            Path target = places.get(original);
            byte[] content = read(backup, f.stored());
            // pg_hba.conf and pg_ident.conf have a syntax of their own and name no paths of the source's
            boolean conf = !original.toString().equals(config.hbaFile()) && !original.toString().equals(config.identFile());
            if (conf) {
                content = rewrite(new String(content, StandardCharsets.UTF_8), original, config, directory, places,
                        port, rewritten).getBytes(StandardCharsets.UTF_8);
            }
            batch.file(target, content);
        }
        context.log("pgvault: configuration: laid the " + config.files().size() + " configuration file(s) the backup "
                + "captured from " + Path.of(config.configFile()).getParent() + " into " + directory
                + (rewritten.isEmpty() ? "" : "; rewritten for the copy: " + String.join(", ", rewritten)));
    }

    /** Where each captured file and directory goes in the copy. */
    static Map<Path, Path> places(ServerConfig config, Path directory) {
        Path configDir = Path.of(config.configFile()).getParent();
        Map<Path, Path> places = new LinkedHashMap<>();
        List<Path> all = new ArrayList<>();
        config.files().forEach(f -> all.add(Path.of(f.path())));
        config.directories().forEach(d -> all.add(Path.of(d)));
        for (Path p : all) {
            Path place;
            if (p.toString().equals(config.configFile())) {
                place = directory.resolve("postgresql.conf");
            } else if (p.toString().equals(config.hbaFile())) {
                place = directory.resolve("pg_hba.conf");
            } else if (p.toString().equals(config.identFile())) {
                place = directory.resolve("pg_ident.conf");
            } else if (p.startsWith(configDir) && !p.equals(configDir)
                    && !DATA_NAMES.contains(configDir.relativize(p).getName(0).toString())) {
                place = directory.resolve(configDir.relativize(p));
            } else {
                place = directory.resolve(AWAY).resolve(p.getRoot().relativize(p));
            }
            places.put(p, place);
        }
        return places;
    }

    /** A postgresql.conf-family file, line by line, with the source's paths and port replaced. */
    static String rewrite(String text, Path original, ServerConfig config, Path directory, Map<Path, Path> places,
            int port, List<String> rewritten) {
        StringBuilder out = new StringBuilder();
        for (String line : text.lines().toList()) {
            ConfSyntax.Setting s = ConfSyntax.parse(line);
            String replacement = s == null ? null : replacement(s, original, config, directory, places, port);
            if (replacement == null || replacement.equals(line)) {
                out.append(line).append('\n');
                continue;
            }
            if (!rewritten.contains(s.name())) {
                rewritten.add(s.name());
            }
            out.append("# pgvault, for this copy: ").append(line.strip()).append('\n');
            if (!replacement.isEmpty()) {
                out.append(replacement).append('\n');
            }
        }
        return out.toString();
    }

    /** The line that replaces a setting ("" drops it), or null to keep it. */
    private static String replacement(ConfSyntax.Setting s, Path original, ServerConfig config, Path directory,
            Map<Path, Path> places, int port) {
        if (DROPPED.contains(s.name())) {
            return "";
        }
        if (s.name().equals("port")) {
            return ConfSyntax.line("port", Integer.toString(port));
        }
        if (s.name().equals("hba_file") || s.name().equals("ident_file")) {
            Path place = places.get(Path.of(s.value()));
            return place == null ? "" : ConfSyntax.line(s.name(), place.toString());
        }
        if (s.isInclude()) {
            Path place = places.get(s.target(original));
            if (place != null) {
                return ConfSyntax.line(s.name(), place.toString());
            }
            // not captured: an include_dir it could not list, or a missing include_if_exists
            return s.name().equals("include") ? "" : null;
        }
        String data = config.dataDirectory();
        if (s.value().equals(data) || s.value().startsWith(data + "/")) {
            return ConfSyntax.line(s.name(), directory + s.value().substring(data.length()));
        }
        return null;
    }

    /** Settings a server replaying this WAL needs at least (pg_control records the source's), and safe access. */
    private void writeMinimal(BackupView backup, Path directory, Set<String> names, FileBatch batch,
            JobContext context) throws IOException, InterruptedException {
        Map<String, String> control = postgres.controlData(directory);
        List<String> conf = new ArrayList<>(List.of(
                "# written by pgvault for a copy of backup " + backup.id() + ": the backup holds no configuration "
                        + "of its own (the source keeps it outside its data directory, and it was not captured)",
                ConfSyntax.line("listen_addresses", "localhost")));
        Map<String, String> minimums = Map.of("max_connections", "max_connections setting",
                "max_worker_processes", "max_worker_processes setting", "max_wal_senders", "max_wal_senders setting",
                "max_prepared_transactions", "max_prepared_xacts setting",
                "max_locks_per_transaction", "max_locks_per_xact setting");
        minimums.forEach((setting, field) -> {
            String value = control.get(field);
            if (value != null && value.matches("\\d+")) {
                conf.add(setting + " = " + value);
            }
        });
        batch.file(directory.resolve("postgresql.conf"), String.join("\n", conf) + "\n");
        if (!names.contains("pg_hba.conf")) {
            batch.file(directory.resolve("pg_hba.conf"), String.join("\n",
                    "# written by pgvault: local connections with the roles' passwords (the copy's roles are the "
                            + "source's); peer for the server's OS user",
                    "local   all          all                   peer",
                    "local   replication  all                   peer",
                    "host    all          all   127.0.0.1/32    md5",
                    "host    all          all   ::1/128         md5",
                    "host    replication  all   127.0.0.1/32    md5",
                    "host    replication  all   ::1/128         md5", ""));
        }
        if (!names.contains("pg_ident.conf")) {
            batch.file(directory.resolve("pg_ident.conf"), "# written by pgvault: no user name maps\n");
        }
        context.log("pgvault: configuration: the backup holds none"
                + (backup.serverConfig() == null || backup.serverConfig().configFile() == null ? ""
                        : " (the source's is in " + backup.serverConfig().configFile() + ", not captured)")
                + "; wrote a minimal working configuration into " + directory + ": listen on localhost, pg_hba.conf "
                + "with password (md5/SCRAM) access on loopback and peer on the socket, and the source's "
                + "max_connections and other settings that recovery requires at least");
    }

    private byte[] read(BackupView backup, String stored) throws IOException {
        try (InputStream in = storage.open(backup.repository(), backup.location(), stored)) {
            return in.readAllBytes();
        }
    }
}
