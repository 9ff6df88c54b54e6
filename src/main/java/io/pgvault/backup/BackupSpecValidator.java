package io.pgvault.backup;

import io.pgvault.api.InvalidRequestException;
import java.util.List;

/** Refuses option combinations pg_dump or pg_dumpall would reject or misread, before anything starts. */
final class BackupSpecValidator {

    /** More zstd threads than this only add memory (each holds a window): a sane ceiling, not a tuning. */
    static final int MAX_COMPRESSION_WORKERS = 64;

    private BackupSpecValidator() {
    }

    /**
     * Returns the spec with defaults filled in. Each kind's own checks (Java 17 has no switch over sealed types, so
     * one {@code instanceof} per kind); the options a kind does not have cannot be in its record, and a request
     * that names one was refused when it became a spec ({@link BackupSpec#of}).
     */
    static BackupSpec validate(BackupSpec s) {
        checkText("label", s.label(), 200);
        if (s.label() != null && (s.label().contains("/") || s.label().contains("\\") || s.label().contains(".."))) {
            throw new InvalidRequestException("label",
                    "label may not contain '/', '\\' or '..': it is a name, not a path");
        }
        if (s instanceof BaseSpec base) {
            return base(base);
        }
        if (s.schemaOnly() && s.dataOnly()) {
            throw new InvalidRequestException("dataOnly", "schemaOnly and dataOnly cannot be combined");
        }
        if (s.format() == DumpFormat.BLOCKS) {
            throw new InvalidRequestException("format", "format BLOCKS is for BASE backups; a DUMP is CUSTOM, "
                    + "DIRECTORY, TAR or PLAIN");
        }
        if (s.compression() != null && (s.compression() < 0 || s.compression() > 9)) {
            throw new InvalidRequestException("compression", "compression must be a gzip level from 0 to 9");
        }
        if (s instanceof DumpSpec dump) {
            return dump(dump);
        }
        return dumpAll((DumpAllSpec) s);
    }

    /**
     * A BASE backup: pg_basebackup of the whole cluster in tar format. Compression method and workers default
     * later (they depend on the tool version and the host); here the level and the workers are checked against
     * the method asked for.
     */
    private static BaseSpec base(BaseSpec s) {
        boolean blocks = s.format() == DumpFormat.BLOCKS;
        if (s.format() != null && s.format() != DumpFormat.TAR && !blocks) {
            throw new InvalidRequestException("format", "a BASE backup is stored as pg_basebackup's TAR files (the "
                    + "default) or in the repository's block store (BLOCKS)");
        }
        if (s.type() != null && !blocks) {
            throw new InvalidRequestException("type", "type (FULL, DIFF, INCR) applies to BASE backups in format "
                    + "BLOCKS; a TAR backup is always whole");
        }
        if (s.checksumDelta() != null && !blocks) {
            throw new InvalidRequestException("checksumDelta", "checksumDelta applies to BASE backups in format "
                    + "BLOCKS (a TAR backup reads and stores every file)");
        }
        if (blocks) {
            // NONE and CLIENT are what a validated BLOCKS spec records (a schedule's spec is validated again)
            if (s.compressionMethod() == CompressionMethod.GZIP || s.compressionMethod() == CompressionMethod.LZ4
                    || s.compression() != null || s.compressAt() == CompressionSite.SERVER
                    || s.compressionWorkers() != null) {
                throw new InvalidRequestException("compressionMethod", "format BLOCKS compresses each block with zstd "
                        + "itself: leave compressionMethod, compression, compressAt and compressionWorkers out");
            }
            if (s.walMethod() == WalMethod.STREAM) {
                throw new InvalidRequestException("walMethod", "format BLOCKS reads pg_basebackup's stdout, which "
                        + "carries the WAL only with walMethod FETCH (the default for BLOCKS)");
            }
        }
        CompressionMethod method = s.compressionMethod();
        if (s.compression() != null) {
            if (method == null) {
                throw new InvalidRequestException("compressionMethod",
                        "say which compressionMethod (GZIP, LZ4, ZSTD) the compression level is for");
            }
            if (method == CompressionMethod.NONE) {
                throw new InvalidRequestException("compression", "compressionMethod NONE takes no level");
            }
            if (s.compression() < method.minLevel() || s.compression() > method.maxLevel()) {
                throw new InvalidRequestException("compression", method + " levels go from " + method.minLevel()
                        + " to " + method.maxLevel());
            }
        }
        if (s.compressionWorkers() != null) {
            if (s.compressionWorkers() < 1 || s.compressionWorkers() > MAX_COMPRESSION_WORKERS) {
                throw new InvalidRequestException("compressionWorkers",
                        "compressionWorkers must be from 1 to " + MAX_COMPRESSION_WORKERS);
            }
            if (method != null && method != CompressionMethod.ZSTD) {
                throw new InvalidRequestException("compressionWorkers",
                        "compressionWorkers applies to compressionMethod ZSTD only, not " + method);
            }
        }
        if (s.compressAt() == CompressionSite.SERVER && method == CompressionMethod.NONE) {
            throw new InvalidRequestException("compressAt", "compressAt SERVER needs a compressionMethod");
        }
        if (s.maxRate() != null && (s.maxRate() < 32 || s.maxRate() > 1_048_576)) {
            throw new InvalidRequestException("maxRate", "maxRate is in kB/s, from 32 to 1048576");
        }
        if (blocks) {
            return new BaseSpec(DumpFormat.BLOCKS, null, s.label(), CompressionMethod.NONE, CompressionSite.CLIENT,
                    WalMethod.FETCH, s.checkpoint() == null ? CheckpointMode.FAST : s.checkpoint(), s.maxRate(), null,
                    s.type() == null ? BackupType.FULL : s.type(),
                    Boolean.TRUE.equals(s.checksumDelta()) ? Boolean.TRUE : null);
        }
        return new BaseSpec(null, s.compression(), s.label(), method,
                s.compressAt() == null ? CompressionSite.CLIENT : s.compressAt(),
                s.walMethod() == null ? WalMethod.STREAM : s.walMethod(),
                s.checkpoint() == null ? CheckpointMode.FAST : s.checkpoint(), s.maxRate(), s.compressionWorkers(),
                null, null);
    }

    private static DumpSpec dump(DumpSpec s) {
        if (s.database() == null || s.database().isBlank()) {
            throw new InvalidRequestException("database", "database is required for a DUMP");
        }
        checkText("database", s.database(), 63);
        if (s.database().startsWith("-")) {
            throw new InvalidRequestException("database", "database may not start with '-'");
        }
        DumpFormat format = s.format() == null ? DumpFormat.CUSTOM : s.format();
        if (s.jobs() != null) {
            if (format != DumpFormat.DIRECTORY) {
                throw new InvalidRequestException("jobs",
                        "jobs (parallel dump) needs format DIRECTORY; pg_dump cannot dump " + format + " in parallel");
            }
            if (s.jobs() < 1 || s.jobs() > 64) {
                throw new InvalidRequestException("jobs", "jobs must be from 1 to 64");
            }
        }
        if (format == DumpFormat.TAR && s.compressed()) {
            throw new InvalidRequestException("compression", "the TAR format cannot be compressed by pg_dump");
        }
        checkPatterns("tables", s.tables());
        checkPatterns("excludeTables", s.excludeTables());
        checkPatterns("schemas", s.schemas());
        checkPatterns("excludeSchemas", s.excludeSchemas());
        return new DumpSpec(s.database(), format, s.compression(), s.jobs(), s.tables(), s.excludeTables(),
                s.schemas(), s.excludeSchemas(), s.schemaOnly(), s.dataOnly(), s.noOwner(), s.noPrivileges(),
                s.label());
    }

    private static DumpAllSpec dumpAll(DumpAllSpec s) {
        if (s.format() != null && s.format() != DumpFormat.PLAIN) {
            throw new InvalidRequestException("format", "pg_dumpall writes PLAIN SQL only");
        }
        if (s.globalsOnly() && s.dataOnly()) {
            throw new InvalidRequestException("dataOnly", "globalsOnly and dataOnly cannot be combined");
        }
        return new DumpAllSpec(DumpFormat.PLAIN, s.compression(), s.schemaOnly(), s.dataOnly(), s.globalsOnly(),
                s.noOwner(), s.noPrivileges(), s.label());
    }

    private static void checkPatterns(String field, List<String> patterns) {
        if (patterns.size() > 1000) {
            throw new InvalidRequestException(field, field + " may hold at most 1000 patterns");
        }
        for (String p : patterns) {
            if (p == null || p.isBlank()) {
                throw new InvalidRequestException(field, field + " may not contain empty patterns");
            }
            if (p.startsWith("-")) {
                throw new InvalidRequestException(field, field + " patterns may not start with '-'");
            }
            checkText(field, p, 1000);
        }
    }

    static void checkText(String field, String value, int max) {
        if (value == null) {
            return;
        }
        if (value.length() > max) {
            throw new InvalidRequestException(field, field + " is longer than " + max + " characters");
        }
        if (value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidRequestException(field, field + " may not contain control characters");
        }
    }
}
