package io.pgvault.storage;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.stereotype.Component;

/**
 * Every repository reachable and writable; down, with the reason, when any one is not. Answers from the last
 * background probe ({@link RepositoryProbes}) with how old it is, so a bucket that hangs never holds a health
 * request; UNKNOWN while a repository's first probe has not answered and none is down.
 */
@Component // "repositoriesHealthIndicator": the health component "repositories"
class RepositoriesHealthIndicator extends AbstractHealthIndicator {

    private final Repositories repositories;
    private final Clock clock;

    RepositoriesHealthIndicator(Repositories repositories, Clock clock) {
        this.repositories = repositories;
        this.clock = clock;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Map<String, Repositories.Health> all = repositories.healthOfAll();
        all.forEach((name, h) -> {
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("status", h.status());
            detail.put("reachable", h.reachable());
            detail.put("writable", h.writable());
            detail.put("detail", h.detail());
            if (h.checkedAt() != null) {
                detail.put("checkedAt", h.checkedAt().toString());
                detail.put("ageSeconds", Math.max(0, Duration.between(h.checkedAt(), clock.instant()).toSeconds()));
            }
            builder.withDetail(name, detail);
        });
        if (all.values().stream().anyMatch(h -> h.status().equals("DOWN"))) {
            builder.down();
        } else if (all.values().stream().anyMatch(h -> h.status().equals("UNKNOWN"))) {
            builder.status(Status.UNKNOWN);
        } else {
            builder.up();
        }
    }
}
