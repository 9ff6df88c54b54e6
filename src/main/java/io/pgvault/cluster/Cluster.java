package io.pgvault.cluster;

import io.pgvault.security.SealedString;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A PostgreSQL server that pgvault protects. The password never leaves this package except into a 0600 file. */
@Entity
@Table(name = "cluster")
class Cluster {

    @Id
    private String name;
    private String host;
    private int port;
    private String username;
    @Convert(converter = SealedString.class)
    private String password;
    @Convert(converter = SealedString.class)
    private String archiveToken;
    private String maintenanceDatabase;
    private String sslMode;
    @Enumerated(EnumType.STRING)
    private WalArchiveMode walArchive;
    private String rpo;
    private Integer retentionKeepLast;
    private Integer retentionKeepDays;
    private Integer retentionDaily;
    private Integer retentionWeekly;
    private Integer retentionMonthly;
    @Convert(converter = SanityQueriesConverter.class)
    private java.util.List<SanityQuery> sanityQueries;
    private String timeZone;
    private String repository;
    private String walCopyTo;
    private String dataHost;
    private String serverVersion;
    private Integer serverVersionNum;
    private String toolDirectory;
    private String toolVersion;
    private Long walSegmentSize;
    private String dataDirectory;
    private Long systemIdentifier;
    private Instant createdAt;
    private Instant updatedAt;

    protected Cluster() {
    }

    Cluster(String name, Instant now) {
        this.name = name;
        this.createdAt = now;
        this.updatedAt = now;
    }

    void connection(ClusterSettings s, Instant now) {
        this.host = s.host();
        this.port = s.port();
        this.username = s.username();
        if (s.password() != null) {
            this.password = s.password().isEmpty() ? null : s.password();
        }
        this.maintenanceDatabase = s.maintenanceDatabase();
        this.sslMode = s.sslMode();
        this.walArchive = s.walArchive();
        this.rpo = s.rpo();
        RetentionPolicy r = s.retention() == null ? new RetentionPolicy(null, null, null, null, null) : s.retention();
        this.retentionKeepLast = r.keepLast();
        this.retentionKeepDays = r.keepDays();
        this.retentionDaily = r.daily();
        this.retentionWeekly = r.weekly();
        this.retentionMonthly = r.monthly();
        this.sanityQueries = s.sanityQueries() == null ? java.util.List.of() : java.util.List.copyOf(s.sanityQueries());
        this.timeZone = s.timeZone() == null ? "UTC" : s.timeZone();
        this.repository = s.repository();
        this.walCopyTo = s.walCopyTo();
        this.dataHost = s.dataHost();
        this.updatedAt = now;
    }

    void detected(ServerInfo server, PostgresTools.ToolSet tools) {
        this.serverVersion = server.version();
        this.serverVersionNum = server.versionNum();
        this.walSegmentSize = server.walSegmentSize();
        if (server.dataDirectory() != null) {
            this.dataDirectory = server.dataDirectory();
        }
        this.systemIdentifier = server.systemIdentifier();
        // null: no client tools of its major here (registered for host-read BLOCKS backups only)
        this.toolDirectory = tools == null ? null : tools.directory().toString();
        this.toolVersion = tools == null ? null : tools.version();
    }

    ClusterSettings settings() {
        return new ClusterSettings(host, port, username, password, maintenanceDatabase, sslMode, walArchive, rpo,
                getRetention(), getSanityQueries(), getTimeZone(), repository, walCopyTo, dataHost);
    }

    /** The retention policy, or null when it keeps everything. */
    RetentionPolicy getRetention() {
        RetentionPolicy r = new RetentionPolicy(retentionKeepLast, retentionKeepDays, retentionDaily, retentionWeekly,
                retentionMonthly);
        return r.keepsEverything() ? null : r;
    }

    /** A second repository its archived WAL is copied to; null: none. */
    String getWalCopyTo() {
        return walCopyTo;
    }

    /** The host that holds its data directory; null: not named. */
    String getDataHost() {
        return dataHost;
    }

    /** The repository its backups and WAL go to; null: the default one. */
    String getRepository() {
        return repository;
    }

    /** Where the cluster policy's calendar buckets begin. */
    String getTimeZone() {
        return timeZone == null ? "UTC" : timeZone;
    }

    java.util.List<SanityQuery> getSanityQueries() {
        return sanityQueries == null ? java.util.List.of() : sanityQueries;
    }

    String getArchiveToken() { return archiveToken; }

    void archiveToken(String token) {
        this.archiveToken = token;
    }

    String getName() { return name; }
    String getHost() { return host; }
    int getPort() { return port; }
    String getUsername() { return username; }
    boolean hasPassword() { return password != null; }
    String getMaintenanceDatabase() { return maintenanceDatabase; }
    String getSslMode() { return sslMode; }
    WalArchiveMode getWalArchive() { return walArchive; }
    String getRpo() { return rpo; }
    String getServerVersion() { return serverVersion; }
    Integer getServerVersionNum() { return serverVersionNum; }
    String getToolDirectory() { return toolDirectory; }
    String getToolVersion() { return toolVersion; }
    Long getWalSegmentSize() { return walSegmentSize; }

    /** The data directory the server last reported, or null when the role could not see it. */
    String getDataDirectory() { return dataDirectory; }
    Long getSystemIdentifier() { return systemIdentifier; }
    Instant getCreatedAt() { return createdAt; }
    Instant getUpdatedAt() { return updatedAt; }
}
