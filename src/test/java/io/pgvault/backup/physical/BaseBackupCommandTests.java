package io.pgvault.backup.physical;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupSpec;
import io.pgvault.backup.BaseSpec;
import io.pgvault.backup.CompressionMethod;
import io.pgvault.backup.CompressionSite;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** pg_basebackup's --compress: a bare level as 13 and 14 read it, the keyword detail once there are workers. */
class BaseBackupCommandTests {

    private static BaseSpec base(CompressionMethod method, CompressionSite site, Integer level, Integer workers) {
        return (BaseSpec) BackupSpec.of(BackupKind.BASE, null, null, level, null, null, null, null, null, false, false, false,
                false, false, null, method, site, null, null, null, workers, null);
    }

    @Test
    void zstdWorkersUseTheKeywordDetail() {
        assertThat(BaseBackupCommand.compression(base(CompressionMethod.ZSTD, CompressionSite.CLIENT, null, 2)))
                .isEqualTo("client-zstd:workers=2");
        assertThat(BaseBackupCommand.compression(base(CompressionMethod.ZSTD, CompressionSite.SERVER, 1, 4)))
                .isEqualTo("server-zstd:level=1,workers=4");
        assertThat(BaseBackupCommand.argv("pg_basebackup", 15, base(CompressionMethod.ZSTD, null, 3, 2),
                Path.of("/s")))
                .contains("--compress=client-zstd:level=3,workers=2");
    }

    @Test
    void pgBasebackup13And14GetABareGzipLevel() {
        // their --compress takes 0..9 only: "client-gzip" would be refused as an invalid compression level
        assertThat(BaseBackupCommand.argv("pg_basebackup", 14, base(CompressionMethod.GZIP, CompressionSite.CLIENT, 6,
                null), Path.of("/s"))).contains("--compress=6").noneMatch(a -> a.contains("client-"));
        assertThat(BaseBackupCommand.argv("pg_basebackup", 13, base(CompressionMethod.GZIP, null, null, null),
                Path.of("/s"))).contains("--gzip").noneMatch(a -> a.startsWith("--compress"));
        assertThat(BaseBackupCommand.argv("pg_basebackup", 13, base(CompressionMethod.NONE, null, null, null),
                Path.of("/s"))).contains("--compress=0");
    }

    @Test
    void withoutWorkersTheLevelStaysBare() {
        assertThat(BaseBackupCommand.compression(base(CompressionMethod.GZIP, CompressionSite.CLIENT, 6, null)))
                .isEqualTo("client-gzip:6");
        assertThat(BaseBackupCommand.compression(base(CompressionMethod.ZSTD, CompressionSite.CLIENT, null, null)))
                .isEqualTo("client-zstd");
        assertThat(BaseBackupCommand.compression(base(CompressionMethod.NONE, null, null, null))).isEqualTo("none");
    }
}
