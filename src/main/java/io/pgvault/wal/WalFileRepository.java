package io.pgvault.wal;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;

interface WalFileRepository extends JpaRepository<WalFile, WalFile.Key> {

    List<WalFile> findByClusterAndKindOrderByName(String cluster, WalFileKind kind);

    List<WalFile> findByClusterOrderByName(String cluster);

    List<WalFile> findByClusterAndTimelineAndKind(String cluster, long timeline, WalFileKind kind);

    List<WalFile> findTop200ByKindAndScannedAtIsNullOrderByArchivedAt(WalFileKind kind);
}
