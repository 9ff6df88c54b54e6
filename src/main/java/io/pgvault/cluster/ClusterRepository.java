package io.pgvault.cluster;

import org.springframework.data.jpa.repository.JpaRepository;

interface ClusterRepository extends JpaRepository<Cluster, String> {
}
