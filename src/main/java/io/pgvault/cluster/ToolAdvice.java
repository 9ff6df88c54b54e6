package io.pgvault.cluster;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What to install when a server's tools are missing, said once for every place that refuses. Debian and
 * Ubuntu ship one PostgreSQL major per release; other majors come from the PostgreSQL apt repository,
 * so the advice names it. With pgvault.tools.directories set, a new installation is only seen once its
 * directory is added there.
 */
final class ToolAdvice {

    private ToolAdvice() {
    }

    static String clientTools(int major, List<PostgresTools.ToolSet> found, List<PostgresTools.ToolSet> servers,
            PostgresTools tools) {
        StringBuilder m = new StringBuilder("PostgreSQL " + major + " needs client tools of version " + major
                + " or newer (pg_dump, pg_dumpall, pg_restore, psql; pg_basebackup and pg_verifybackup for BASE "
                + "backups), but ");
        m.append(found.isEmpty() ? "there are none " + where(tools)
                : "the newest " + where(tools) + " are version " + found.get(0).version() + " ("
                        + found.get(0).directory() + ")");
        List<PostgresTools.ToolSet> serverOnly = servers.stream().filter(s -> s.major() >= major)
                .filter(s -> found.stream().noneMatch(f -> f.directory().equals(s.directory()))).toList();
        if (!serverOnly.isEmpty()) {
            m.append("; ").append(serverOnly.stream().map(s -> s.directory() + " holds PostgreSQL " + s.version()
                    + " server binaries but no client tools").collect(Collectors.joining(", ")));
        }
        return m.append(". Install the PostgreSQL ").append(major).append(" client tools (Debian and Ubuntu: ")
                .append(install("postgresql-client-" + major, major)).append(")").append(add(tools, major))
                .append(".").toString();
    }

    /** What to install for the client tools of one major. */
    static String installClient(int major) {
        return "Install the PostgreSQL " + major + " client tools (Debian and Ubuntu: "
                + install("postgresql-client-" + major, major) + ")";
    }

    static String serverBinaries(int major, List<PostgresTools.ToolSet> servers, PostgresTools tools) {
        return "this needs the PostgreSQL " + major + " server binaries (postgres and pg_ctl of exactly that major "
                + "version, which alone reads its data directory), but "
                + (servers.isEmpty() ? "there are none " + where(tools) : where(tools) + " there are only "
                        + servers.stream().map(s -> s.version() + " (" + s.directory() + ")")
                                .collect(Collectors.joining(", ")))
                + ". Install them (Debian and Ubuntu: " + install("postgresql-" + major, major) + ")"
                + add(tools, major) + "; any directory holding postgres and pg_ctl of version " + major
                + " counts once pgvault.tools.directories lists it";
    }

    private static String where(PostgresTools tools) {
        return tools.configured() ? "in pgvault.tools.directories " + tools.directories()
                : "on PATH or in /usr/lib/postgresql/*/bin";
    }

    private static String install(String pkg, int major) {
        return "apt-get install " + pkg + ", from the PostgreSQL apt repository apt.postgresql.org where the "
                + "release does not ship PostgreSQL " + major;
    }

    private static String add(PostgresTools tools, int major) {
        return tools.configured() ? " and add their directory (there: /usr/lib/postgresql/" + major
                + "/bin) to pgvault.tools.directories" : "; pgvault finds /usr/lib/postgresql/" + major + "/bin itself";
    }
}
