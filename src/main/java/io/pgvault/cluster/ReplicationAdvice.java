package io.pgvault.cluster;

import java.sql.SQLException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns a refused replication connection into what the operator must change on the server. */
final class ReplicationAdvice {

    private static final Pattern FROM_HOST = Pattern.compile("replication connection (?:from|for) host \"([^\"]+)\"");

    private ReplicationAdvice() {
    }

    /** A refused replication connection: the server's message, and what to change (null when unknown). */
    record Refusal(String message, String fix) {

        String text() {
            return fix == null ? message : message + ". " + fix;
        }
    }

    static Refusal refusal(SQLException e, String user) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        Matcher host = FROM_HOST.matcher(message);
        if (host.find()) {
            String address = host.group(1);
            String mask = address.contains(":") ? "/128" : "/32";
            return new Refusal(message, "Add this line to pg_hba.conf, above any line that matches replication "
                    + "connections from there first, and reload the server (SELECT pg_reload_conf()): host replication "
                    + quoted(user) + " " + address + mask + " scram-sha-256");
        }
        if (message.contains("max_wal_senders")) {
            return new Refusal(message, "Set max_wal_senders above 0 (ALTER SYSTEM SET max_wal_senders = 10, "
                    + "PostgreSQL's default; it needs wal_level = replica) and restart the server: a reload does not "
                    + "apply it");
        }
        if ("42501".equals(e.getSQLState()) || message.contains("replication role")) {
            return new Refusal(message, "Give the role the REPLICATION attribute: ALTER ROLE " + quoted(user)
                    + " REPLICATION (it applies to the next connection, no reload needed)");
        }
        return new Refusal(message, null);
    }

    /** A pg_hba.conf or SQL name as it must be written: quoted unless it is a plain lower-case word. */
    static String quoted(String name) {
        return name.matches("[a-z_][a-z0-9_]*") ? name : "\"" + name.replace("\"", "\"\"") + "\"";
    }
}
