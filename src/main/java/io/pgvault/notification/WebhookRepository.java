package io.pgvault.notification;

import java.util.List;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

interface WebhookRepository extends JpaRepository<Webhook, UUID> {

    List<Webhook> findAllByOrderByCreatedAt();

    List<Webhook> findByEnabledTrue();
}
