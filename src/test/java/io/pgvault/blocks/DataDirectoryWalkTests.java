package io.pgvault.blocks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DataDirectoryWalk} leaves out what pg_basebackup leaves out (basebackup.c's lists), keeps the
 * directories whose contents it drops, and follows a tablespace link into this major's directory only.
 */
class DataDirectoryWalkTests {

    @TempDir
    Path tmp;

    private void file(Path root, String path) throws IOException {
        Path p = root.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, path);
    }

    @Test
    void listsWhatPgBasebackupSends() throws IOException {
        Path data = tmp.resolve("data");
        Path space = tmp.resolve("space");
        for (String f : List.of("PG_VERSION", "global/pg_control", "global/1262", "base/5/16384", "base/5/16384.1",
                "base/5/pg_internal.init", "base/5/pgsql_tmp/pgsql_tmp123.0", "base/pgsql_tmp/x", "postmaster.pid",
                "postmaster.opts", "backup_label", "backup_label.old", "tablespace_map", "backup_manifest",
                "postgresql.auto.conf", "postgresql.auto.conf.tmp", "current_logfiles.tmp",
                "pg_wal/000000010000000000000001", "pg_wal/archive_status/000000010000000000000001.done",
                "pg_replslot/s/state", "pg_stat_tmp/global.stat", "pg_subtrans/0000", "pg_notify/0000",
                "pg_serial/0000", "pg_snapshots/x", "pg_dynshmem/mmap", "pg_xact/0000")) {
            file(data, f);
        }
        file(space, "PG_16_202307071/5/16400");
        file(space, "PG_15_202209061/5/16400");
        Files.createDirectories(data.resolve("pg_tblspc"));
        Files.createSymbolicLink(data.resolve("pg_tblspc/16399"), space);

        Map<String, Character> listed = DataDirectoryWalk.list(data, 16).stream()
                .collect(Collectors.toMap(DataDirectoryWalk.Listed::path, DataDirectoryWalk.Listed::type));
        assertThat(listed).containsEntry("PG_VERSION", 'f').containsEntry("global/pg_control", 'f')
                .containsEntry("base/5/16384", 'f').containsEntry("base/5/16384.1", 'f')
                .containsEntry("postgresql.auto.conf", 'f').containsEntry("pg_xact/0000", 'f')
                .containsEntry("pg_wal", 'd').containsEntry("pg_wal/archive_status", 'd')
                .containsEntry("pg_replslot", 'd').containsEntry("pg_stat_tmp", 'd').containsEntry("pg_subtrans", 'd')
                .containsEntry("pg_tblspc/16399", 'l').containsEntry("pg_tblspc/16399/PG_16_202307071", 'd')
                .containsEntry("pg_tblspc/16399/PG_16_202307071/5/16400", 'f');
        assertThat(listed.keySet()).doesNotContain("base/5/pg_internal.init", "base/5/pgsql_tmp",
                "base/5/pgsql_tmp/pgsql_tmp123.0", "base/pgsql_tmp", "postmaster.pid", "postmaster.opts",
                "backup_label", "backup_label.old", "tablespace_map", "backup_manifest", "postgresql.auto.conf.tmp",
                "current_logfiles.tmp", "pg_wal/000000010000000000000001",
                "pg_wal/archive_status/000000010000000000000001.done", "pg_replslot/s", "pg_stat_tmp/global.stat",
                "pg_subtrans/0000", "pg_notify/0000", "pg_serial/0000", "pg_snapshots/x", "pg_dynshmem/mmap",
                "pg_tblspc/16399/PG_15_202209061");
        List<String> order = DataDirectoryWalk.list(data, 16).stream().map(DataDirectoryWalk.Listed::path).toList();
        assertThat(order.indexOf("base/5")).as("a directory before its contents").isLessThan(
                order.indexOf("base/5/16384"));
    }

    @Test
    void leavesOutUnloggedRelationsButTheirInitForkAndTemporaryRelations() throws IOException {
        Path data = tmp.resolve("unlogged");
        Path space = tmp.resolve("unlogged-space");
        for (String f : List.of("base/5/16384", "base/5/16384.1", "base/5/16384_fsm", "base/5/16384_vm",
                "base/5/16384_init", "base/5/16390", "base/5/16390_fsm", "base/5/t3_16395", "base/5/t3_16395_fsm",
                "base/5/t3_16395.2", "global/16500", "global/16500_init", "pg_xact/16600", "pg_xact/16600_init")) {
            file(data, f);
        }
        file(space, "PG_16_202307071/5/16401");
        file(space, "PG_16_202307071/5/16401_init");
        file(space, "PG_16_202307071/5/16402");
        Files.createDirectories(data.resolve("pg_tblspc"));
        Files.createSymbolicLink(data.resolve("pg_tblspc/16399"), space);

        List<String> listed = DataDirectoryWalk.list(data, 16).stream().map(DataDirectoryWalk.Listed::path).toList();
        assertThat(listed).contains("base/5/16384_init", "base/5/16390", "base/5/16390_fsm",
                "pg_tblspc/16399/PG_16_202307071/5/16401_init", "pg_tblspc/16399/PG_16_202307071/5/16402",
                // only database directories are pruned, as in basebackup.c
                "global/16500", "global/16500_init", "pg_xact/16600", "pg_xact/16600_init");
        assertThat(listed).doesNotContain("base/5/16384", "base/5/16384.1", "base/5/16384_fsm", "base/5/16384_vm",
                "base/5/t3_16395", "base/5/t3_16395_fsm", "base/5/t3_16395.2",
                "pg_tblspc/16399/PG_16_202307071/5/16401");
    }
}
