package io.pgvault.storage;

import java.util.Map;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/** Every repository reachable and writable; down, with the reason, when any one is not. */
@Component // "repositoriesHealthIndicator": the health component "repositories"
class RepositoriesHealthIndicator extends AbstractHealthIndicator {

    private final Repositories repositories;

    RepositoriesHealthIndicator(Repositories repositories) {
        this.repositories = repositories;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Map<String, Repositories.Health> all = repositories.healthOfAll();
        boolean up = all.values().stream().allMatch(Repositories.Health::up);
        all.forEach((name, h) -> builder.withDetail(name, Map.of("reachable", h.reachable(), "writable", h.writable(),
                "detail", h.detail())));
        if (up) {
            builder.up();
        } else {
            builder.down();
        }
    }
}
