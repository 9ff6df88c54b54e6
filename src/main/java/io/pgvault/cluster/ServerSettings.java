package io.pgvault.cluster;

import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What a live server has in effect for WAL and archiving, read in one go for a check. The effective values
 * come from current_setting, which is what the server runs with (PostgreSQL 15 and later show an
 * archive_command as {@code (disabled)} while archive_mode is off); {@code pendingRestart} names the settings
 * whose configured value differs and waits for a restart; {@code configured} holds the configuration files'
 * values (pg_file_settings, the last line wins), empty for roles that may not read it.
 */
record ServerSettings(String walLevel, String archiveMode, String archiveCommand, String archiveLibrary,
        int maxWalSenders, Set<String> pendingRestart, Map<String, String> configured, boolean superuser,
        boolean replication, boolean readAllData, ClusterService.ArchiverStatus archiver, String lastArchivedWal) {

    boolean pending(String setting) {
        return pendingRestart.contains(setting);
    }

    /** The value the configuration files set, or null when they set none or the role may not read them. */
    String configured(String setting) {
        return configured.get(setting);
    }

    static ServerSettings read(Connection conn) throws SQLException {
        try (ResultSet rs = conn.createStatement().executeQuery("""
                select current_setting('wal_level'), current_setting('archive_mode'),
                       current_setting('archive_command'),
                       -- archive_library exists from PostgreSQL 15 on: null before
                       current_setting('archive_library', true),
                       current_setting('max_wal_senders')::int,
                       array(select name::text from pg_settings where pending_restart),
                       r.rolsuper, r.rolreplication,
                       case when r.rolsuper then true
                            -- pg_read_all_data exists from PostgreSQL 14 on; naming a missing role is an
                            -- error, hence the CASE's order
                            when to_regrole('pg_read_all_data') is null then false
                            else pg_has_role(r.oid, 'pg_read_all_data', 'member') end,
                       a.archived_count, a.last_archived_time, a.failed_count, a.last_failed_time,
                       a.last_failed_wal, a.last_archived_wal
                  from pg_roles r, pg_stat_archiver a where r.rolname = current_user""")) {
            rs.next();
            Array pending = rs.getArray(6);
            ClusterService.ArchiverStatus archiver = new ClusterService.ArchiverStatus(rs.getLong(10),
                    instant(rs.getObject(11, OffsetDateTime.class)), rs.getLong(12),
                    instant(rs.getObject(13, OffsetDateTime.class)), rs.getString(14));
            return new ServerSettings(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                    rs.getInt(5), Set.of((String[]) pending.getArray()), configured(conn), rs.getBoolean(7),
                    rs.getBoolean(8), rs.getBoolean(9), archiver, rs.getString(15));
        }
    }

    /**
     * pg_file_settings, where the role may read it (superusers): it tells what a setting becomes at the next
     * restart, and what archive_command is configured while PostgreSQL shows it {@code (disabled)}.
     */
    private static Map<String, String> configured(Connection conn) {
        Map<String, String> values = new HashMap<>();
        try (ResultSet rs = conn.createStatement().executeQuery("select name, setting from pg_file_settings "
                + "where name in ('wal_level', 'archive_mode', 'archive_command', 'archive_library', "
                + "'max_wal_senders') order by seqno")) {
            while (rs.next()) {
                values.put(rs.getString(1), rs.getString(2));
            }
        } catch (SQLException e) {
            // permission denied for anyone but superusers: the effective values stand alone
        }
        return values;
    }

    private static Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }
}
