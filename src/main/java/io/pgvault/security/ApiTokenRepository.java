package io.pgvault.security;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

interface ApiTokenRepository extends JpaRepository<ApiToken, UUID> {

    Optional<ApiToken> findByTokenHash(String tokenHash);

    boolean existsByName(String name);

    List<ApiToken> findByRole(Role role);

    List<ApiToken> findAllByOrderByCreatedAtDesc();
}
