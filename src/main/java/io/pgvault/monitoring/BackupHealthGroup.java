package io.pgvault.monitoring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.health.actuate.endpoint.AdditionalHealthEndpointPath;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper;
import org.springframework.boot.health.actuate.endpoint.StatusAggregator;
import org.springframework.stereotype.Component;

/**
 * Process health and backup health are different questions. {@code /actuator/health} answers whether this
 * instance can do its work (catalog, workspace, repositories): a container platform or an uptime check may act on
 * it. Whether the protected databases are safe (RPO, archive lag, failed backups and drills) is the health group
 * {@code backups} ({@code /actuator/health/backups}, configured in application.yml), for monitoring: a database
 * whose backup is late must not get pgvault restarted or unrouted, which is what happened while the clusters were
 * part of the overall status. Spring Boot has no setting that keeps a contributor out of the overall status
 * while a group includes it, hence this post-processor: the primary group no longer counts {@code clusters}.
 */
@Component
class BackupHealthGroup implements HealthEndpointGroupsPostProcessor {

    /** The contributor that answers for the clusters' backups ({@link ClustersHealthContributor}). */
    static final String CLUSTERS = "clusters";

    @Override
    public HealthEndpointGroups postProcessHealthEndpointGroups(HealthEndpointGroups groups) {
        Map<String, HealthEndpointGroup> named = new LinkedHashMap<>();
        groups.getNames().forEach(name -> named.put(name, groups.get(name)));
        return HealthEndpointGroups.of(new WithoutClusters(groups.getPrimary()), named);
    }

    /** The primary group as configured, less the clusters. */
    private record WithoutClusters(HealthEndpointGroup primary) implements HealthEndpointGroup {

        @Override
        public boolean isMember(String name) {
            return !name.equals(CLUSTERS) && !name.startsWith(CLUSTERS + "/") && primary.isMember(name);
        }

        @Override
        public boolean showComponents(SecurityContext securityContext) {
            return primary.showComponents(securityContext);
        }

        @Override
        public boolean showDetails(SecurityContext securityContext) {
            return primary.showDetails(securityContext);
        }

        @Override
        public StatusAggregator getStatusAggregator() {
            return primary.getStatusAggregator();
        }

        @Override
        public HttpCodeStatusMapper getHttpCodeStatusMapper() {
            return primary.getHttpCodeStatusMapper();
        }

        @Override
        public AdditionalHealthEndpointPath getAdditionalPath() {
            return primary.getAdditionalPath();
        }
    }
}
