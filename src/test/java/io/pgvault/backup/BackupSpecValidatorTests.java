package io.pgvault.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.api.InvalidRequestException;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Option combinations are refused before anything starts, naming the field at fault. */
class BackupSpecValidatorTests {

    private static BackupSpec dump(DumpFormat format, Integer compression, Integer jobs, List<String> tables) {
        return BackupSpec.of(BackupKind.DUMP, "shop", format, compression, jobs, tables, null, null, null,
                false, false, false, false, false, null);
    }

    @Test
    void defaultsADumpToCustomFormat() {
        assertThat(BackupSpecValidator.validate(dump(null, null, null, null)).format()).isEqualTo(DumpFormat.CUSTOM);
    }

    @Test
    void parallelDumpNeedsDirectoryFormat() {
        assertRefused(() -> dump(DumpFormat.CUSTOM, null, 2, null), "jobs");
        assertThat(BackupSpecValidator.validate(dump(DumpFormat.DIRECTORY, null, 2, null)).jobs()).isEqualTo(2);
        assertRefused(() -> dump(DumpFormat.DIRECTORY, null, 0, null), "jobs");
    }

    @Test
    void refusesBadCompression() {
        assertRefused(() -> dump(DumpFormat.CUSTOM, 10, null, null), "compression");
        assertRefused(() -> dump(DumpFormat.TAR, 5, null, null), "compression");
    }

    @Test
    void refusesOptionInjectionAndControlCharacters() {
        assertRefused(() -> dump(DumpFormat.CUSTOM, null, null, List.of("--file=/etc/passwd")), "tables");
        assertRefused(() -> dump(DumpFormat.CUSTOM, null, null, List.of("a\nb")), "tables");
        assertRefused(() -> dump(DumpFormat.CUSTOM, null, null, List.of(" ")), "tables");
    }

    @Test
    void refusesContradictions() {
        assertRefused(() -> BackupSpec.of(BackupKind.DUMP, "shop", null, null, null, null, null, null, null, true, true,
                false, false, false, null), "dataOnly");
        assertRefused(() -> BackupSpec.of(BackupKind.DUMP, null, null, null, null, null, null, null, null, false, false,
                false, false, false, null), "database");
        assertRefused(() -> BackupSpec.of(BackupKind.DUMP_ALL, "shop", null, null, null, null, null, null, null, false,
                false, false, false, false, null), "database");
        assertRefused(() -> BackupSpec.of(BackupKind.DUMP_ALL, null, DumpFormat.CUSTOM, null, null, null, null, null,
                null, false, false, false, false, false, null), "format");
        assertRefused(() -> BackupSpec.of(null, "shop", null, null, null, null, null, null, null, false, false, false,
                false, false, null), "kind");
        assertRefused(() -> BackupSpec.of(BackupKind.DUMP, "shop", null, null, null, null, null, null, null, false, false,
                false, false, false, "bad\u0000label"), "label");
    }

    private static BackupSpec base(DumpFormat format, CompressionMethod method, WalMethod wal, BackupType type) {
        return BackupSpec.of(BackupKind.BASE, null, format, null, null, null, null, null, null, false, false, false,
                false, false, null, method, null, wal, null, null, null, type);
    }

    @Test
    void blockStoreBackupsTakeATypeAndFetchTheirWal() {
        BackupSpec blocks = BackupSpecValidator.validate(base(DumpFormat.BLOCKS, null, null, null));
        assertThat(blocks.format()).isEqualTo(DumpFormat.BLOCKS);
        assertThat(blocks.type()).isEqualTo(BackupType.FULL);
        assertThat(blocks.walMethod()).isEqualTo(WalMethod.FETCH);
        assertThat(BackupSpecValidator.validate(blocks)).as("a schedule's stored spec validates again").isEqualTo(blocks);
        assertThat(BackupSpecValidator.validate(base(DumpFormat.BLOCKS, null, null, BackupType.INCR)).type())
                .isEqualTo(BackupType.INCR);
        assertThat(BackupSpecValidator.validate(base(DumpFormat.TAR, null, null, null)).format())
                .as("TAR is today's BASE backup, recorded as before").isNull();
        assertRefused(() -> base(null, null, null, BackupType.INCR), "type");
        assertRefused(() -> base(DumpFormat.BLOCKS, CompressionMethod.GZIP, null, null), "compressionMethod");
        assertRefused(() -> base(DumpFormat.BLOCKS, null, WalMethod.STREAM, null), "walMethod");
        assertRefused(() -> base(DumpFormat.CUSTOM, null, null, null), "format");
        assertRefused(() -> dump(DumpFormat.BLOCKS, null, null, null), "format");
    }

    @Test
    void checksumDeltaIsForBlockStoreBackupsOnly() {
        BackupSpec b = base(DumpFormat.BLOCKS, null, null, BackupType.INCR);
        BackupSpec delta = BackupSpec.of(b.kind(), null, b.format(), null, null, null, null, null, null, false, false,
                false, false, false, null, null, null, null, null, null, null, BackupType.INCR, true);
        BackupSpec validated = BackupSpecValidator.validate(delta);
        assertThat(validated.checksumDelta()).isTrue();
        assertThat(BackupSpecValidator.validate(validated)).isEqualTo(validated);
        assertThat(BackupSpecValidator.validate(b).checksumDelta()).isNull();
        assertRefused(() -> BackupSpec.of(BackupKind.BASE, null, null, null, null, null, null, null, null, false, false,
                false, false, false, null, null, null, null, null, null, null, null, true), "checksumDelta");
        assertRefused(() -> BackupSpec.of(BackupKind.DUMP, "shop", null, null, null, null, null, null, null, false,
                false, false, false, false, null, null, null, null, null, null, null, null, true), "checksumDelta");
    }

    @Test
    void compressionWorkersAreForZstdBaseBackupsOnly() {
        assertThat(BackupSpecValidator.validate(base(null, 4)).compressionWorkers()).isEqualTo(4);
        assertThat(BackupSpecValidator.validate(base(CompressionMethod.ZSTD, 64)).compressionWorkers()).isEqualTo(64);
        assertRefused(() -> base(CompressionMethod.ZSTD, 0), "compressionWorkers");
        assertRefused(() -> base(CompressionMethod.ZSTD, 65), "compressionWorkers");
        assertRefused(() -> base(CompressionMethod.GZIP, 2), "compressionWorkers");
        assertRefused(() -> base(CompressionMethod.NONE, 2), "compressionWorkers");
        assertRefused(() -> BackupSpec.of(BackupKind.DUMP, "shop", null, null, null, null, null, null, null, false, false,
                false, false, false, null, null, null, null, null, null, 2, null), "compressionWorkers");
    }

    private static BackupSpec base(CompressionMethod method, Integer workers) {
        return BackupSpec.of(BackupKind.BASE, null, null, null, null, null, null, null, null, false, false, false,
                false, false, null, method, null, null, null, null, workers, null);
    }

    /** The request is refused naming {@code field}: when it becomes a spec, or when the spec is validated. */
    private static void assertRefused(Supplier<BackupSpec> request, String field) {
        assertThatThrownBy(() -> BackupSpecValidator.validate(request.get()))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo(field));
    }
}
