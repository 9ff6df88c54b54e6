package io.pgvault.blocks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a backup that reads a data directory itself takes from it: every entry, in the order a restore creates
 * them (a directory before its contents), minus what pg_basebackup leaves out (PostgreSQL's basebackup.c:
 * {@code excludeDirContents} and {@code excludeFiles}) so that a restore of either reader starts the same way:
 * the contents of pg_wal (the backup's own WAL is added apart), pg_replslot, pg_dynshmem, pg_notify, pg_serial,
 * pg_snapshots, pg_stat_tmp and pg_subtrans (the directories themselves kept, empty); postmaster.pid and .opts,
 * backup_label, tablespace_map and backup_manifest (the backup writes its own), pg_internal.init,
 * postgresql.auto.conf.tmp, current_logfiles.tmp, backup_label.old; temporary files and directories
 * ({@code pgsql_tmp*}); sockets and other special files. In a database directory ({@code base/<db>} and a
 * tablespace's {@code PG_<major>_*}/{@code <db>}, basebackup.c's {@code isDbDir}) the forks of an unlogged relation
 * but its init fork ({@code <relfilenode>}, {@code .N}, {@code _fsm}, {@code _vm} where {@code <relfilenode>_init}
 * is there: the server resets the relation from its init fork when it starts from a backup) and temporary
 * relations' files ({@code t<backend>_<relfilenode>...}) are left out too.
 *
 * <p>Tablespaces are followed: {@code pg_tblspc/<oid>} is listed as the link it is, and the directory of this
 * server's major ({@code PG_<major>_*}) below its target is listed under {@code pg_tblspc/<oid>/}, as
 * pg_basebackup's tablespace tars hold it. Entries that vanish while listed are left out: a dropped table's
 * files may go at any time during a backup, and WAL replay recreates what it needs.
 */
public final class DataDirectoryWalk {

    private static final Set<String> EMPTY_DIRS = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");
    private static final Set<String> EXCLUDED_TOP_FILES = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
            "tablespace_map", "backup_manifest", "backup_label.old", "postgresql.auto.conf.tmp",
            "current_logfiles.tmp");
    private static final Pattern TABLESPACE_LINK = Pattern.compile("^pg_tblspc/\\d+$");
    /** A directory that holds relations (basebackup.c's isDbDir), as a prefix of its entries. */
    private static final Pattern DB_DIR = Pattern.compile("^(base|pg_tblspc/\\d+/PG_[^/]+)/\\d+/$");
    /** A relation file not of a temporary relation: relfilenode, fork, segment (parse_filename_for_nontemp_relation). */
    private static final Pattern RELATION_FILE = Pattern.compile("^(\\d+)(_(fsm|vm|init))?(\\.\\d+)?$");
    /** A temporary relation's file (looks_like_temp_rel_name). */
    private static final Pattern TEMP_RELATION_FILE = Pattern.compile("^t\\d+_\\d+(_(fsm|vm|init))?(\\.\\d+)?$");

    private DataDirectoryWalk() {
    }

    /** An entry to back up: {@code source} is where it is read from, {@code path} its name in the backup. */
    public record Listed(String path, Path source, char type, long size, int mode, long mtime, String link) {
    }

    /** Lists the data directory {@code root} of a server of major {@code major}. */
    public static List<Listed> list(Path root, int major) throws IOException {
        List<Listed> out = new ArrayList<>();
        walk(root, "", major, out);
        return out;
    }

    private static void walk(Path dir, String prefix, int major, List<Listed> out) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(children::add);
        } catch (NoSuchFileException vanished) {
            return;
        }
        children.sort(null);
        boolean dbDir = DB_DIR.matcher(prefix).matches();
        Set<String> names = new HashSet<>();
        if (dbDir) {
            children.forEach(c -> names.add(c.getFileName().toString()));
        }
        for (Path child : children) {
            String name = child.getFileName().toString();
            String path = prefix + name;
            if (excluded(prefix, name) || dbDir && unloggedOrTemporary(name, names)) {
                continue;
            }
            PosixFileAttributes a;
            try {
                a = Files.readAttributes(child, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException vanished) {
                continue;
            }
            long mtime = a.lastModifiedTime().toMillis() / 1000;
            if (a.isSymbolicLink()) {
                String target = Files.readSymbolicLink(child).toString();
                if (TABLESPACE_LINK.matcher(path).matches()) {
                    out.add(new Listed(path, child, 'l', 0, 0777, mtime, target));
                    tablespace(child, path + "/", major, out);
                } else if (path.equals("pg_wal") && Files.isDirectory(child)) {
                    // initdb --waldir: pg_wal is a link; the backup holds it as a directory, as pg_basebackup's does
                    PosixFileAttributes d = Files.readAttributes(child, PosixFileAttributes.class);
                    out.add(new Listed(path, child, 'd', 0, mode(d), mtime, null));
                    walk(child, path + "/", major, out);
                } else {
                    out.add(new Listed(path, child, 'l', 0, 0777, mtime, target));
                }
            } else if (a.isDirectory()) {
                out.add(new Listed(path, child, 'd', 0, mode(a), mtime, null));
                if (!(prefix.isEmpty() && EMPTY_DIRS.contains(name))) {
                    walk(child, path + "/", major, out);
                } else if (name.equals("pg_wal")) {
                    // archive_status (and summaries, PostgreSQL 17) are kept, empty, as pg_basebackup keeps them
                    for (String sub : List.of("archive_status", "summaries")) {
                        Path s = child.resolve(sub);
                        if (Files.isDirectory(s, LinkOption.NOFOLLOW_LINKS)) {
                            out.add(new Listed(path + "/" + sub, s, 'd', 0, mode(Files.readAttributes(s,
                                    PosixFileAttributes.class)), mtime, null));
                        }
                    }
                }
            } else if (a.isRegularFile()) {
                out.add(new Listed(path, child, 'f', a.size(), mode(a), mtime, null));
            }
            // sockets, fifos, devices: never part of a data directory's content
        }
    }

    private static void tablespace(Path link, String prefix, int major, List<Listed> out) throws IOException {
        List<Path> versions = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(link)) {
            stream.forEach(versions::add);
        } catch (NoSuchFileException vanished) {
            return;
        }
        for (Path v : versions) {
            String name = v.getFileName().toString();
            if (name.startsWith("PG_" + major + "_") && Files.isDirectory(v, LinkOption.NOFOLLOW_LINKS)) {
                PosixFileAttributes a = Files.readAttributes(v, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                out.add(new Listed(prefix + name, v, 'd', 0, mode(a), a.lastModifiedTime().toMillis() / 1000, null));
                walk(v, prefix + name + "/", major, out);
            }
        }
    }

    private static boolean excluded(String prefix, String name) {
        if (name.startsWith("pgsql_tmp") || name.equals("pg_internal.init")) {
            return true;
        }
        return prefix.isEmpty() && EXCLUDED_TOP_FILES.contains(name);
    }

    /**
     * Whether a file of a database directory is left out: a fork other than the init fork of a relation that has
     * one (an unlogged relation: its other forks are reset from the init fork at the end of recovery), or a file
     * of a temporary relation.
     */
    static boolean unloggedOrTemporary(String name, Set<String> namesInDirectory) {
        if (TEMP_RELATION_FILE.matcher(name).matches()) {
            return true;
        }
        Matcher m = RELATION_FILE.matcher(name);
        return m.matches() && !"init".equals(m.group(3)) && namesInDirectory.contains(m.group(1) + "_init");
    }

    private static int mode(PosixFileAttributes a) {
        int mode = 0;
        for (PosixFilePermission p : a.permissions()) {
            mode |= 1 << (8 - p.ordinal());
        }
        return mode;
    }
}
