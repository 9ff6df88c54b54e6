package io.pgvault.wal;

import java.time.Instant;
import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.transaction.annotation.Transactional;

interface WalFileRepository extends JpaRepository<WalFile, WalFile.Key> {

    List<WalFile> findByClusterAndKindOrderByName(String cluster, WalFileKind kind);

    List<WalFile> findByClusterOrderByName(String cluster);

    List<WalFile> findByClusterAndTimelineAndKind(String cluster, long timeline, WalFileKind kind);

    List<WalFile> findTop200ByKindAndScannedAtIsNullOrderByArchivedAt(WalFileKind kind);

    /** Records a segment's WAL times; an update, so that a row retention removed meanwhile stays removed. */
    @Transactional
    @Modifying
    @Query("""
            update WalFile f set f.firstCommitAt = :first, f.lastCommitAt = :last, f.scanNote = :note,
                f.damage = :damage, f.scannedAt = :now
            where f.cluster = :cluster and f.name = :name""")
    int recordTimes(String cluster, String name, Instant first, Instant last, String note, String damage,
            Instant now);

    /** The segments whose records do not decode, oldest first. */
    List<WalFile> findByClusterAndDamageIsNotNullOrderByName(String cluster);
}
