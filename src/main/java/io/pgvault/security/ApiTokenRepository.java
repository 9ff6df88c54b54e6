package io.pgvault.security;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

interface ApiTokenRepository extends JpaRepository<ApiToken, UUID> {

    Optional<ApiToken> findByTokenHash(String tokenHash);

    boolean existsByName(String name);

    List<ApiToken> findByRole(Role role);

    List<ApiToken> findAllByOrderByCreatedAtDesc();

    /** Records a use without writing the whole row back (a revoked token must stay deleted). */
    @org.springframework.transaction.annotation.Transactional
    @org.springframework.data.jpa.repository.Modifying
    @org.springframework.data.jpa.repository.Query("update ApiToken t set t.lastUsedAt = :now where t.id = :id")
    int touch(@org.springframework.data.repository.query.Param("id") UUID id,
            @org.springframework.data.repository.query.Param("now") Instant now);
}
