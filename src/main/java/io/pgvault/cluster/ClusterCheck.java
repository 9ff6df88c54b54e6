package io.pgvault.cluster;

import io.pgvault.api.InvalidRequestException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * {@code POST /clusters/{name}/check}: whether pgvault can protect a cluster as it is registered, asked of the
 * live server, one verdict per thing that can be wrong: the connection, the tools, wal_level, archive_mode,
 * archive_command, the archiver, privileges and replication access. A verdict reports what the server has in
 * effect, not what a configuration file says: an operator acts on it, so a setting that waits for a restart
 * is reported as waiting, never as set.
 */
@Component
public class ClusterCheck {

    /** The tools whose versions a check reports: a dump, its restore, and a BASE backup. */
    private static final List<String> TOOLS = List.of("pg_dump", "pg_restore", "pg_basebackup");

    private final ClusterAccess access;
    private final PostgresTools tools;
    private final RefusedPushes refusedPushes;

    ClusterCheck(ClusterAccess access, PostgresTools tools, RefusedPushes refusedPushes) {
        this.access = access;
        this.tools = tools;
        this.refusedPushes = refusedPushes;
    }

    public List<CheckItem> run(String name) {
        Cluster cluster = access.find(name);
        List<CheckItem> checks = new ArrayList<>();
        ServerInfo server;
        try {
            server = access.serverInfo(cluster.settings());
            checks.add(CheckItem.ok("connection", "connected to " + cluster.getHost() + ":" + cluster.getPort()
                    + " as " + cluster.getUsername()));
            checks.add(CheckItem.ok("server-version", "PostgreSQL " + server.version()));
        } catch (SQLException e) {
            checks.add(CheckItem.failed("connection", e.getMessage(), null));
            return checks;
        }
        checks.add(tools(server.major()));
        ServerSettings settings = null;
        try (Connection conn = access.connect(cluster.settings(), cluster.getMaintenanceDatabase())) {
            settings = ServerSettings.read(conn);
        } catch (SQLException e) {
            checks.add(CheckItem.failed("archiving", "cannot read the server's settings: " + e.getMessage(), null));
        }
        if (settings != null) {
            List<CheckItem> archive = new ArchiveChecks(name, cluster.getWalArchive(), settings,
                    refusedPushes.describe(name)).all();
            checks.addAll(archive);
            checks.add(archiving(cluster.getWalArchive(), archive));
            checks.add(settings.readAllData() ? CheckItem.ok("privileges", "the role can read all data")
                    : CheckItem.failed("privileges", "the role is neither superuser nor member of pg_read_all_data "
                            + "(PostgreSQL 14 and later): dumps may miss tables", "GRANT pg_read_all_data TO "
                            + ReplicationAdvice.quoted(cluster.getUsername()) + " (PostgreSQL 14 and later)"));
        }
        checks.add(replication(name, cluster.getUsername(), settings));
        return checks;
    }

    /** The versions of the tools pgvault runs against this server, each at least the server's major. */
    private CheckItem tools(int major) {
        PostgresTools.ToolSet set;
        try {
            set = tools.forServer(major);
        } catch (InvalidRequestException e) {
            return CheckItem.failed("tools", e.getMessage(), null);
        }
        List<String> found = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        for (String tool : TOOLS) {
            String version = tools.versionOf(set, tool).orElse(null);
            if (version == null) {
                wrong.add(tool + " is missing");
            } else if (ServerInfo.majorOf(version) < major) {
                wrong.add(tool + " is version " + version);
            } else {
                found.add(tool + " " + version);
            }
        }
        String where = " in " + set.directory();
        if (wrong.isEmpty()) {
            return CheckItem.ok("tools", String.join(", ", found) + where + ": at or above the server's major "
                    + "version " + major);
        }
        return CheckItem.failed("tools", String.join(", ", wrong) + where + " (PostgreSQL " + major
                + " needs tools of version " + major + " or newer; pg_basebackup for BASE backups)"
                + (found.isEmpty() ? "" : "; " + String.join(", ", found)), ToolAdvice.installClient(major));
    }

    /** The verdict on archiving as a whole, as earlier versions gave it: ok when every archive item is. */
    private static CheckItem archiving(WalArchiveMode mode, List<CheckItem> archive) {
        List<String> failed = archive.stream().filter(c -> !c.ok()).map(CheckItem::name).toList();
        String how = switch (mode) {
            case PUSH -> "WAL reaches pgvault through archive_command (walArchive PUSH)";
            case STREAM -> "WAL reaches pgvault through pg_receivewal (walArchive STREAM)";
            case NONE -> "the cluster is registered with walArchive NONE: pgvault keeps no WAL for it";
        };
        return failed.isEmpty() ? CheckItem.ok("archiving", how)
                : CheckItem.failed("archiving", how + "; failing: " + String.join(", ", failed), "See "
                        + failed.stream().collect(Collectors.joining(", ")) + " for what to change");
    }

    /** {@code settings}: null when they could not be read. */
    private CheckItem replication(String name, String user, ServerSettings settings) {
        String need = "BASE backups and walArchive STREAM need a replication connection";
        ReplicationAdvice.Refusal refusal = access.replication(name);
        if (refusal == null) {
            return CheckItem.ok("replication", "a replication connection works as " + user
                    + (settings == null ? "" : settings.superuser() ? " (superuser)" : " (REPLICATION attribute)")
                    + ": " + need);
        }
        String attribute = settings == null || settings.superuser() || settings.replication() ? ""
                : "; the role " + user + " has neither the REPLICATION attribute nor superuser";
        String fix = refusal.fix();
        if (!attribute.isEmpty() && (fix == null || !fix.contains("ALTER ROLE"))) {
            fix = (fix == null ? "" : fix + "; then ") + "give the role the REPLICATION attribute: ALTER ROLE "
                    + ReplicationAdvice.quoted(user) + " REPLICATION";
        }
        return CheckItem.failed("replication", need + ": " + refusal.message() + attribute, fix);
    }
}
