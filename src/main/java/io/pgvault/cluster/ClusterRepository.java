package io.pgvault.cluster;

import org.springframework.data.jpa.repository.JpaRepository;

interface ClusterRepository extends JpaRepository<Cluster, String> {

    /** The cluster's row, locked until the transaction ends. */
    @org.springframework.data.jpa.repository.Lock(jakarta.persistence.LockModeType.PESSIMISTIC_WRITE)
    @org.springframework.data.jpa.repository.Query("select c from Cluster c where c.name = :name")
    java.util.Optional<Cluster> findForUpdate(@org.springframework.data.repository.query.Param("name") String name);

    /** The cluster's row, share-locked until the transaction ends (FOR SHARE; FOR UPDATE where that is all). */
    @org.springframework.data.jpa.repository.Lock(jakarta.persistence.LockModeType.PESSIMISTIC_READ)
    @org.springframework.data.jpa.repository.Query("select c from Cluster c where c.name = :name")
    java.util.Optional<Cluster> findForShare(@org.springframework.data.repository.query.Param("name") String name);
}
