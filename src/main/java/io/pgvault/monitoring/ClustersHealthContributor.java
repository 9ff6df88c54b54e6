package io.pgvault.monitoring;

import io.pgvault.api.NotFoundException;
import java.util.stream.Stream;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/** {@code /actuator/health} component {@code clusters}: one entry per registered cluster, DOWN with its reasons. */
@Component("clusters")
class ClustersHealthContributor implements CompositeHealthContributor {

    private final ClusterStatusService statuses;

    ClustersHealthContributor(ClusterStatusService statuses) {
        this.statuses = statuses;
    }

    @Override
    public HealthContributor getContributor(String name) {
        try {
            statuses.status(name);
        } catch (NotFoundException e) {
            return null;
        }
        return indicator(name);
    }

    @Override
    public Stream<Entry> stream() {
        java.util.List<String> names;
        try {
            names = statuses.clusterNames();
        } catch (RuntimeException e) {
            // the catalog is unreachable (its own component says so): no cluster can be judged, so all are DOWN
            HealthIndicator unknown = () -> Health.down()
                    .withDetail("problems", java.util.List.of("cluster states cannot be read from the catalog"))
                    .build();
            return Stream.of(new Entry("unknown", unknown));
        }
        return names.stream().map(name -> new Entry(name, indicator(name)));
    }

    private HealthIndicator indicator(String name) {
        return () -> {
            ClusterStatus status = statuses.status(name);
            Health.Builder builder = status.healthy() ? Health.up() : Health.down();
            if (!status.healthy()) {
                builder.withDetail("problems", status.messages());
            }
            return builder.withDetails(status.details()).build();
        };
    }
}
