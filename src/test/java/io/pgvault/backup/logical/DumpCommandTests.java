package io.pgvault.backup.logical;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupSpec;
import io.pgvault.backup.DumpAllSpec;
import io.pgvault.backup.DumpCommandAccess;
import io.pgvault.backup.DumpFormat;
import io.pgvault.backup.DumpSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** argv is built from options in --opt=value form, so no value can become an option of its own. */
class DumpCommandTests {

    @Test
    void buildsAParallelDirectoryDump() {
        DumpSpec spec = DumpCommandAccess.dump(BackupSpec.of(BackupKind.DUMP, "shop db", DumpFormat.DIRECTORY,
                5, 2, List.of("sales.\"OrderLines\""), List.of("tmp_*"), List.of("sales"), List.of("audit"), false,
                false, false, true, true, null));
        assertThat(DumpCommand.pgDump("/bin/pg_dump", spec, Path.of("/s/dump"))).containsExactly(
                "/bin/pg_dump", "--verbose", "--no-password", "--format=directory", "--compress=5", "--file=/s/dump",
                "--jobs=2", "--table=sales.\"OrderLines\"", "--exclude-table=tmp_*", "--schema=sales",
                "--exclude-schema=audit", "--no-owner", "--no-privileges");
    }

    @Test
    void patternsReadAsPgDumpReadsThem() {
        assertThat(DumpPatterns.table("sales.\"OrderLines\"")).isEqualTo(new DumpPatterns.Regex("^(sales)$",
                "^(OrderLines)$"));
        assertThat(DumpPatterns.table("Tmp_*")).isEqualTo(new DumpPatterns.Regex(null, "^(tmp_.*)$"));
        assertThat(DumpPatterns.table("\"a.b\".c$?")).isEqualTo(new DumpPatterns.Regex("^(a\\.b)$", "^(c\\$.)$"));
        assertThat(DumpPatterns.table("shop.s.t")).isEqualTo(new DumpPatterns.Regex("^(s)$", "^(t)$"));
        assertThat(DumpPatterns.table("a.b.c.d")).isNull();
        assertThat(DumpPatterns.schema("\"My \"\"x\"\"\"")).isEqualTo("^(My \"x\")$");
        assertThat(DumpPatterns.schema("a.b")).isNull();
    }

    @Test
    void theTreesOfNamedTablesComeAfterTheSpecsOwnFilters() {
        DumpSpec spec = DumpCommandAccess.dump(BackupSpec.of(BackupKind.DUMP, "shop", null, null, null,
                List.of("public.m"), null, null, null, false, false, false, false, false, null));
        assertThat(DumpCommand.pgDump("/bin/pg_dump", spec, Path.of("/s/d"), "0000-1", List.of(
                "--table=\"public\".\"m_2025\""))).containsSubsequence("--snapshot=0000-1", "--table=public.m",
                        "--table=\"public\".\"m_2025\"");
    }

    @Test
    void neverPutsTheDatabaseNameInArgv() {
        DumpSpec spec = DumpCommandAccess.dump(BackupSpec.of(BackupKind.DUMP, "x --file=/etc/passwd", null,
                null, null, null, null, null, null, false, false, false, false, false, null));
        assertThat(DumpCommand.pgDump("/bin/pg_dump", spec, Path.of("/s/dump.custom")))
                .containsExactly("/bin/pg_dump", "--verbose", "--no-password", "--format=custom",
                        "--file=/s/dump.custom");
    }

    @Test
    void buildsAGlobalsOnlyClusterDump() {
        DumpAllSpec spec = DumpCommandAccess.dumpAll(BackupSpec.of(BackupKind.DUMP_ALL, null, null, null, null, null,
                null, null, null, false, false, true, false, false, null));
        assertThat(DumpCommand.pgDumpAll("/bin/pg_dumpall", spec, null))
                .containsExactly("/bin/pg_dumpall", "--verbose", "--no-password", "--globals-only");
        assertThat(DumpCommand.pgDumpAll("/bin/pg_dumpall", spec, Path.of("/s/dumpall.sql")))
                .contains("--file=/s/dumpall.sql");
    }
}
