package io.pgvault.backup;

import jakarta.persistence.LockModeType;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.JpaSpecificationExecutor;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;

interface BackupRepository extends JpaRepository<Backup, UUID>, JpaSpecificationExecutor<Backup> {

    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select b from Backup b where b.id = :id")
    Optional<Backup> lockById(UUID id);

    /** A backup's recorded row counts, without loading the backup. */
    @Query("select t from Backup b join b.tableRows t where b.id = :id")
    List<TableRows> tableRowsOf(UUID id);
}
