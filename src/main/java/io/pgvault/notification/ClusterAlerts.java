package io.pgvault.notification;

import io.pgvault.PgvaultProperties;
import io.pgvault.job.JobService;
import io.pgvault.job.TimerListener;
import io.pgvault.monitoring.ClusterStatus;
import io.pgvault.monitoring.ClusterStatusService;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Checks every cluster's health on a persisted timer (one instance at a time) and announces a risk once
 * when it begins: RPO breached, WAL archive lag (or archive_command failing), a gap in the archive. The
 * risks already announced live in the catalog, so a restart or another instance does not repeat them;
 * once a risk ends it can be announced again.
 */
@Component
class ClusterAlerts implements TimerListener {

    static final String TIMER = "cluster-alerts";
    private static final Logger log = LoggerFactory.getLogger(ClusterAlerts.class);
    private static final Set<ClusterStatus.Kind> ANNOUNCED = EnumSet.of(ClusterStatus.Kind.RPO_BREACHED,
            ClusterStatus.Kind.WAL_ARCHIVE_LAG, ClusterStatus.Kind.WAL_ARCHIVE_FAILING,
            ClusterStatus.Kind.WAL_ARCHIVE_GAP, ClusterStatus.Kind.WAL_DAMAGED);

    private final ClusterStatusService statuses;
    private final WebhookService webhooks;
    private final JobService jobs;
    private final JdbcTemplate catalog;
    private final Clock clock;
    private final Duration interval;

    ClusterAlerts(ClusterStatusService statuses, WebhookService webhooks, JobService jobs, JdbcTemplate catalog,
            Clock clock, PgvaultProperties properties) {
        this.statuses = statuses;
        this.webhooks = webhooks;
        this.jobs = jobs;
        this.catalog = catalog;
        this.clock = clock;
        this.interval = properties.notifications().checkInterval();
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        jobs.ensureTimer(TIMER, "all", clock.instant().plus(interval));
    }

    @Override
    public String kind() {
        return TIMER;
    }

    @Override
    public Instant fire(String id, Instant due) {
        long started = System.nanoTime();
        for (String cluster : statuses.clusterNames()) {
            try {
                check(statuses.status(cluster));
            } catch (RuntimeException e) {
                log.warn("Could not check cluster '{}' for alerts: {}", cluster, e.toString());
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        Duration pause = pause(interval, took);
        if (took.compareTo(interval) > 0) {
            log.warn("Checking every cluster for alerts took {} ms, longer than the check interval ({}): the next "
                    + "check comes after {} s", took.toMillis(), interval, pause.toSeconds());
        }
        return clock.instant().plus(pause);
    }

    /**
     * The pause before the next check: the configured interval, or four times as long as this check took when that
     * is longer (each check reads every cluster's status; with many clusters and a short interval the checks would
     * otherwise take a core for themselves). The check then takes at most a fifth of one thread.
     */
    static Duration pause(Duration interval, Duration took) {
        Duration spaced = took.multipliedBy(4);
        return spaced.compareTo(interval) > 0 ? spaced : interval;
    }

    private void check(ClusterStatus status) {
        Set<String> announced = new HashSet<>(catalog.queryForList(
                "select kind from alert_state where cluster = ?", String.class, status.cluster()));
        Set<String> active = new HashSet<>();
        for (ClusterStatus.Problem problem : status.problems()) {
            if (!ANNOUNCED.contains(problem.kind()) || !active.add(problem.kind().name())
                    || announced.contains(problem.kind().name())) {
                continue;
            }
            catalog.update("insert into alert_state (cluster, kind, since) values (?, ?, ?)", status.cluster(),
                    problem.kind().name(), Timestamp.from(clock.instant()));
            Map<String, Object> details = new LinkedHashMap<>(status.details());
            details.put("kind", problem.kind());
            webhooks.publish(event(problem.kind()), status.cluster(), problem.detail(), details);
        }
        for (String kind : announced) {
            if (!active.contains(kind)) {
                catalog.update("delete from alert_state where cluster = ? and kind = ?", status.cluster(), kind);
            }
        }
    }

    private static NotificationEvent event(ClusterStatus.Kind kind) {
        return switch (kind) {
            case RPO_BREACHED -> NotificationEvent.RPO_BREACHED;
            case WAL_ARCHIVE_GAP -> NotificationEvent.WAL_ARCHIVE_GAP;
            case WAL_DAMAGED -> NotificationEvent.WAL_DAMAGED;
            default -> NotificationEvent.WAL_ARCHIVE_LAG;
        };
    }

    List<String> announcedKinds(String cluster) {
        return catalog.queryForList("select kind from alert_state where cluster = ?", String.class, cluster);
    }
}
