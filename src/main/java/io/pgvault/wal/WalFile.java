package io.pgvault.wal;

import io.pgvault.storage.codec.Codec;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.PostLoad;
import jakarta.persistence.PostPersist;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import java.io.Serializable;
import java.time.Instant;
import org.springframework.data.domain.Persistable;

/**
 * One archived WAL file, recorded once it is durable in storage: size and SHA-256 of the original (what
 * PostgreSQL pushed, what a fetch returns), and how it is stored.
 */
@Entity
@Table(name = "wal_file")
@IdClass(WalFile.Key.class)
class WalFile implements Persistable<WalFile.Key> {

    /** Cluster and file name identify a WAL file. */
    record Key(String cluster, String name) implements Serializable {
        Key() {
            this(null, null);
        }
    }

    @Id
    private String cluster;
    @Id
    private String name;
    private long timeline;
    @Enumerated(EnumType.STRING)
    private WalFileKind kind;
    private long sizeBytes;
    private String sha256;
    private Instant archivedAt;
    private Instant firstCommitAt;
    private Instant lastCommitAt;
    private Instant scannedAt;
    private String scanNote;
    private String damage;
    private String codec;
    private Long storedSizeBytes;
    private String repository;
    private String keyId;
    private String storedName;
    /**
     * A row made by a push is new: saving it inserts it at once. With an assigned id Spring Data would merge
     * instead, which first selects the row that the push has just checked is not there (a push's record
     * already asks existsById under the archive lock; a concurrent identical push still fails the commit).
     */
    @Transient
    private boolean stored;

    protected WalFile() {
    }

    @PostLoad
    @PostPersist
    void markStored() {
        this.stored = true;
    }

    @Override
    public Key getId() {
        return new Key(cluster, name);
    }

    @Override
    public boolean isNew() {
        return !stored;
    }

    WalFile(String cluster, WalFileName file, WalBytes.Stored stored, Instant archivedAt) {
        this(cluster, file, stored.sizeBytes(), stored.sha256(), archivedAt);
        this.codec = stored.codec().name();
        this.storedSizeBytes = stored.storedSizeBytes();
        this.repository = stored.repository();
        this.keyId = stored.keyId();
        this.storedName = stored.storedName() == null || stored.storedName().equals(file.name()) ? null
                : stored.storedName();
    }

    private WalFile(String cluster, WalFileName file, long sizeBytes, String sha256, Instant archivedAt) {
        this.cluster = cluster;
        this.name = file.name();
        this.timeline = file.timeline();
        this.kind = file.kind();
        this.sizeBytes = sizeBytes;
        this.sha256 = sha256;
        this.archivedAt = archivedAt;
    }

    /** The repository that holds the file. */
    String getRepository() { return repository == null ? "local" : repository; }
    String getCluster() { return cluster; }
    /** The name its bytes are stored under: its own, or the one a push stored it under (see V34). */
    String getStoredName() { return storedName == null ? name : storedName; }
    String getName() { return name; }
    long getTimeline() { return timeline; }
    WalFileKind getKind() { return kind; }
    long getSizeBytes() { return sizeBytes; }
    String getSha256() { return sha256; }
    Instant getArchivedAt() { return archivedAt; }
    Instant getFirstCommitAt() { return firstCommitAt; }
    Instant getLastCommitAt() { return lastCommitAt; }
    Instant getScannedAt() { return scannedAt; }
    String getScanNote() { return scanNote; }
    /** Why the segment's records do not decode (pg_waldump's error), null when they do or were not read. */
    String getDamage() { return damage; }
    /** How the file is stored; files archived before codecs were recorded are stored as is. */
    Codec getCodec() { return Codec.recorded(codec); }
    /** The size in storage, null for files archived before it was recorded (their original size). */
    Long getStoredSizeBytes() { return storedSizeBytes; }

}
