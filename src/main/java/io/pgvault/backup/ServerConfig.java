package io.pgvault.backup;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * Where a server kept its configuration when a BASE backup was taken, and the files of it that live outside
 * the data directory (a Debian cluster's /etc/postgresql/...), as the backup captured them: each file's
 * original path and its name among the backup's files. {@code directories} are include_dir targets.
 */
@Schema(description = "Where a server kept its configuration when a BASE backup was taken, and the "
        + "files of it outside the data directory that the backup captured")
public record ServerConfig(
        @Schema(description = "the server data_directory")
        String dataDirectory,
        @Schema(description = "the server config_file")
        String configFile,
        @Schema(description = "the server hba_file")
        String hbaFile,
        @Schema(description = "the server ident_file")
        String identFile,
        @Schema(description = "the server port")
        Integer port,
        @Schema(description = "the configuration files captured")
        List<File> files,
        @Schema(description = "include_dir targets")
        List<String> directories) {

    /** One captured file: where it was on the server, and its stored name in the backup. */
    @Schema(name = "ServerConfigFile",
            description = "One configuration file a BASE backup captured: where it was on the server, and "
                    + "its stored name among the backup's files")
    public record File(
            @Schema(description = "where it was on the server")
            String path,
            @Schema(description = "its name among the backup files")
            String stored) {
    }

    /** Whether the main configuration file lives outside the data directory (so base.tar does not hold it). */
    public boolean configOutsideDataDirectory() {
        return configFile != null && dataDirectory != null && !configFile.startsWith(dataDirectory + "/");
    }

    /** Whether the main configuration file was captured. */
    public boolean captured() {
        return files.stream().anyMatch(f -> f.path().equals(configFile));
    }
}
