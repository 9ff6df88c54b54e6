package io.pgvault.cluster;

import java.util.List;

/**
 * The verdicts on a server's WAL set-up, from what it has in effect (never from what a configuration file
 * says alone): wal_level, archive_mode, archive_command (and archive_library) and the archiver's own record.
 * What is wrong depends on how the cluster's WAL reaches pgvault: with walArchive PUSH every item must hold,
 * otherwise they only inform, except a failing archiver, which fills the server's pg_wal whoever archives.
 * Each failure says what to change and whether a reload or a restart applies it.
 */
final class ArchiveChecks {

    static final String RESTART = "restart the server (pg_ctl restart, or systemctl restart postgresql): a reload "
            + "does not apply it";

    private final String name;
    private final WalArchiveMode mode;
    private final ServerSettings s;
    private final String refusedPushes;

    /** {@code refusedPushes}: what pgvault saw of this cluster's refused pushes, or null. */
    ArchiveChecks(String name, WalArchiveMode mode, ServerSettings settings, String refusedPushes) {
        this.name = name;
        this.mode = mode;
        this.s = settings;
        this.refusedPushes = refusedPushes;
    }

    List<CheckItem> all() {
        return List.of(walLevel(), archiveMode(), archiveCommand(), archiver());
    }

    CheckItem walLevel() {
        String configured = s.configured("wal_level");
        if ("minimal".equals(s.walLevel())) {
            return CheckItem.of("wal-level", "wal_level", s.walLevel(), false, "wal_level is minimal: WAL "
                    + "archiving, point-in-time recovery and BASE backups (pg_basebackup) need replica; only DUMP "
                    + "backups work" + (s.pending("wal_level") ? "; the configuration sets "
                            + (configured == null ? "another value" : "'" + configured + "'")
                            + ", which waits for a server restart" : ""),
                    s.pending("wal_level") ? "To apply it, " + RESTART
                            : "Set wal_level = replica (ALTER SYSTEM SET wal_level = 'replica', or in postgresql.conf; "
                                    + "max_wal_senders above 0 as well, e.g. 10) and " + RESTART);
        }
        if (s.pending("wal_level") && "minimal".equals(configured)) {
            return CheckItem.of("wal-level", "wal_level", s.walLevel(), false, "wal_level is " + s.walLevel()
                    + " now, but the configuration sets minimal from the next restart on, which ends WAL "
                    + "archiving, point-in-time recovery and BASE backups", "Set wal_level = replica again "
                    + "(ALTER SYSTEM SET wal_level = 'replica', or in postgresql.conf) before the server restarts");
        }
        return CheckItem.of("wal-level", "wal_level", s.walLevel(), true, "wal_level = " + s.walLevel()
                + ": enough for WAL archiving, point-in-time recovery and BASE backups", null);
    }

    CheckItem archiveMode() {
        String value = s.archiveMode();
        String configured = s.configured("archive_mode");
        boolean on = !"off".equals(value);
        boolean pending = s.pending("archive_mode");
        if (mode != WalArchiveMode.PUSH) {
            return CheckItem.of("archive-mode", "archive_mode", value, true, "archive_mode = " + value
                    + (pending ? " (a changed value waits for a server restart)" : "") + "; not needed: " + notPushed(),
                    null);
        }
        if (!on) {
            if (pending && !"off".equals(configured)) {
                return CheckItem.of("archive-mode", "archive_mode", value, false, "archive_mode is off: it is set to "
                        + (configured == null ? "another value" : "'" + configured + "'") + ", but that waits for a "
                        + "server restart (pg_settings.pending_restart), so the server archives nothing yet",
                        "To apply it, " + RESTART);
            }
            return CheckItem.of("archive-mode", "archive_mode", value, false, "archive_mode is off while the "
                    + "cluster's walArchive is PUSH: the server archives nothing",
                    "Set archive_mode = on (ALTER SYSTEM SET archive_mode = 'on', or in postgresql.conf) and "
                            + RESTART);
        }
        if (pending && "off".equals(configured)) {
            return CheckItem.of("archive-mode", "archive_mode", value, false, "archive_mode is " + value
                    + " now, but the configuration sets off from the next restart on, which stops archiving",
                    "Set archive_mode = on again (ALTER SYSTEM SET archive_mode = 'on', or in postgresql.conf) before "
                            + "the server restarts");
        }
        return CheckItem.of("archive-mode", "archive_mode", value, true, "archive_mode = " + value, null);
    }

    CheckItem archiveCommand() {
        String library = s.archiveLibrary();
        if (library != null && !library.isEmpty()) {
            boolean ok = mode != WalArchiveMode.PUSH;
            return CheckItem.of("archive-command", "archive_library", library, ok, "archive_library = '" + library
                    + "': the server archives through that module and not with archive_command (PostgreSQL 16 and "
                    + "later refuse to archive when both are set)" + (ok ? "; " + notPushed() : ""),
                    "Remove it (ALTER SYSTEM RESET archive_library, or delete the line in postgresql.conf), set "
                            + setCommand());
        }
        ArchiveCommand command = ArchiveCommand.of(s.archiveCommand());
        String value = command.text();
        if (mode != WalArchiveMode.PUSH) {
            String note = command.pushesTo(name) && mode == WalArchiveMode.NONE
                    ? "; it pushes to pgvault, but pgvault does not watch this archive while walArchive is NONE: "
                            + "set walArchive to PUSH (PATCH /api/v1/clusters/" + name + ")" : "";
            return CheckItem.of("archive-command", "archive_command", value, true, describe(command) + note + "; "
                    + notPushed(), null);
        }
        boolean ok = command.pushesTo(name);
        String fix = command.kind() == ArchiveCommand.Kind.DISABLED
                ? "Set archive_mode = on (see archive-mode) and " + RESTART : "Set " + setCommand();
        return CheckItem.of("archive-command", "archive_command", value, ok, describe(command), fix);
    }

    private String describe(ArchiveCommand command) {
        return switch (command.kind()) {
            case EMPTY -> "archive_command is empty: the server archives nothing";
            case DISABLED -> "archive_command is (disabled): PostgreSQL runs no archive command while archive_mode "
                    + "is off" + configuredCommand();
            case PGVAULT -> command.pushesTo(name)
                    ? "archive_command is pgvault's push for cluster '" + name + "' (to " + command.url() + "%f)"
                    : "archive_command pushes to pgvault's cluster '" + command.cluster() + "' (" + command.url()
                            + "%f), not to '" + name + "': this cluster's WAL would land in another cluster's "
                            + "archive, where pgvault refuses it";
            case OTHER -> "archive_command does not push to pgvault's cluster '" + name + "': it runs "
                    + command.text();
        };
    }

    /** What the configuration files set while PostgreSQL shows archive_command as (disabled), where readable. */
    private String configuredCommand() {
        String configured = s.configured("archive_command");
        if (configured == null) {
            return "";
        }
        ArchiveCommand command = ArchiveCommand.of(configured);
        return switch (command.kind()) {
            case EMPTY, DISABLED -> "; the configuration sets no archive_command either";
            case PGVAULT -> command.pushesTo(name) ? "; the configuration sets pgvault's push for this cluster, which "
                    + "runs once archive_mode is on" : "; the configuration sets a push to pgvault's cluster '"
                    + command.cluster() + "', not to '" + name + "'";
            case OTHER -> "; the configuration sets a command that does not push to pgvault: " + command.text();
        };
    }

    CheckItem archiver() {
        ClusterService.ArchiverStatus a = s.archiver();
        boolean push = mode == WalArchiveMode.PUSH;
        String counts = a.archivedCount() + " file(s) archived and " + a.failedCount()
                + " failure(s) since the statistics were reset";
        if ("off".equals(s.archiveMode())) {
            return CheckItem.of("archiver", null, null, !push, "no archiver runs while archive_mode is off"
                    + (push ? "" : "; " + notPushed()), "Set archive_mode = on (see archive-mode) and " + RESTART);
        }
        if (a.failingNow()) {
            boolean ours = ArchiveCommand.of(s.archiveCommand()).kind() == ArchiveCommand.Kind.PGVAULT;
            return CheckItem.of("archiver", null, a.lastFailedWal(), false, "archiving fails: the last failure, for "
                    + "WAL file " + a.lastFailedWal() + " at " + a.lastFailedTime() + ", is newer than the last "
                    + "success (" + (a.lastArchivedTime() == null ? "none" : s.lastArchivedWal() + " at "
                            + a.lastArchivedTime()) + "); " + counts + ". PostgreSQL keeps " + a.lastFailedWal()
                    + " and the files after it in pg_wal and retries, so pg_wal grows until it succeeds"
                    + (refusedPushes == null ? "" : "; " + refusedPushes),
                    "Look in the server log for 'archive command failed' and " + a.lastFailedWal()
                            + ": it holds the command's exit code and error" + (ours ? " (curl: 'The requested URL "
                            + "returned error: 401' is a wrong or missing archive token: write headerFileContent "
                            + "from GET /api/v1/clusters/" + name + "/archive-config into the header file it names, "
                            + "in the data directory; 'Failed to connect' is pgvault not reachable at the command's "
                            + "URL)" : "") + "; once fixed, the server archives the waiting files by itself");
        }
        if (a.archivedCount() == 0 && a.failedCount() == 0) {
            return CheckItem.of("archiver", null, null, true, "nothing archived yet since the statistics were reset: "
                    + "the server archives a WAL file once it is full or switched (SELECT pg_switch_wal() after a "
                    + "write switches one now); check again then" + (push ? "" : "; " + notPushed()), null);
        }
        String last = a.lastArchivedTime() == null ? "" : "; the last, " + s.lastArchivedWal() + ", at "
                + a.lastArchivedTime();
        String earlier = a.failedCount() == 0 ? "" : "; the last failure (" + a.lastFailedWal() + " at "
                + a.lastFailedTime() + ") is older than the last success";
        return CheckItem.of("archiver", null, s.lastArchivedWal(), true, "archiving works: " + counts + last
                + earlier + (push ? "" : "; " + notPushed()), null);
    }

    private String notPushed() {
        return switch (mode) {
            case STREAM -> "the cluster's WAL reaches pgvault through pg_receivewal (walArchive STREAM)";
            default -> "the cluster is registered with walArchive " + mode + ", so pgvault expects no WAL pushes "
                    + "from it";
        };
    }

    private String setCommand() {
        return "archive_command to the one GET /api/v1/clusters/" + name + "/archive-config answers (ALTER SYSTEM "
                + "SET archive_command = '...', or in postgresql.conf), with the header file it names in the data "
                + "directory, and reload the server (SELECT pg_reload_conf()): a reload is enough";
    }
}
