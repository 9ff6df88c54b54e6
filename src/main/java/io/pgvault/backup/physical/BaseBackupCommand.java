package io.pgvault.backup.physical;

import io.pgvault.backup.BaseSpec;
import io.pgvault.backup.CheckpointMode;
import io.pgvault.backup.CompressionMethod;
import io.pgvault.backup.CompressionSite;
import io.pgvault.backup.WalMethod;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The pg_basebackup command line for a BASE spec: tar format into a staging directory, WAL included,
 * the manifest kept, progress and verbose lines on stderr. Connection details come from the environment.
 */
final class BaseBackupCommand {

    private BaseBackupCommand() {
    }

    /** {@code major}: pg_basebackup's own major version, which decides how compression is spelt. */
    static List<String> argv(String tool, int major, BaseSpec spec, Path directory) {
        return argv(tool, major, spec, directory.toString());
    }

    /** {@code target} "-": one tar on stdout (format BLOCKS; the spec's WAL method is FETCH then). */
    static List<String> argv(String tool, int major, BaseSpec spec, String target) {
        List<String> argv = new ArrayList<>();
        argv.add(tool);
        argv.add("--pgdata=" + target);
        argv.add("--format=tar");
        argv.add("--wal-method=" + (spec.walMethod() == WalMethod.FETCH ? "fetch" : "stream"));
        argv.add("--checkpoint=" + (spec.checkpoint() == CheckpointMode.SPREAD ? "spread" : "fast"));
        argv.add(major >= 15 ? "--compress=" + compression(spec) : olderCompression(spec));
        if (spec.maxRate() != null) {
            argv.add("--max-rate=" + spec.maxRate() + "k");
        }
        if (spec.label() != null) {
            argv.add("--label=" + spec.label());
        }
        argv.add("--progress");
        argv.add("--verbose");
        // sealing fsyncs every file and directory before the backup counts; one sync is enough
        argv.add("--no-sync");
        argv.add("--no-password");
        return argv;
    }

    /**
     * pg_basebackup 13 and 14 know gzip only, on the client, as a bare level ({@code --compress=0..9}); without
     * a level, {@code --gzip} is gzip's default level. The request was checked against that before it started.
     */
    static String olderCompression(BaseSpec spec) {
        CompressionMethod method = spec.compressionMethod() == null ? CompressionMethod.NONE : spec.compressionMethod();
        if (method == CompressionMethod.NONE) {
            return "--compress=0";
        }
        return spec.compression() == null ? "--gzip" : "--compress=" + spec.compression();
    }

    /**
     * {@code [client|server]-METHOD[:DETAIL]}, the detail in the keyword form of PostgreSQL 15+
     * ({@code level=N,workers=M}); a bare level ({@code gzip:6}) is what 13 and 14 read as well.
     */
    static String compression(BaseSpec spec) {
        CompressionMethod method = spec.compressionMethod() == null ? CompressionMethod.NONE : spec.compressionMethod();
        if (method == CompressionMethod.NONE) {
            return "none";
        }
        String site = spec.compressAt() == CompressionSite.SERVER ? "server-" : "client-";
        List<String> detail = new ArrayList<>();
        if (spec.compression() != null) {
            detail.add(spec.compressionWorkers() == null ? String.valueOf(spec.compression())
                    : "level=" + spec.compression());
        }
        if (spec.compressionWorkers() != null) {
            detail.add("workers=" + spec.compressionWorkers());
        }
        return site + method.name().toLowerCase(Locale.ROOT) + (detail.isEmpty() ? "" : ":" + String.join(",", detail));
    }
}
