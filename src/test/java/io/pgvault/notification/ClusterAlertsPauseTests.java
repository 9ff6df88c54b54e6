package io.pgvault.notification;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The alert check's pause: the configured interval, stretched so that the checks take at most a fifth of a thread. */
class ClusterAlertsPauseTests {

    @Test
    void aQuickCheckWaitsTheIntervalAndASlowOneFourTimesItsOwnLength() {
        assertThat(ClusterAlerts.pause(Duration.ofSeconds(60), Duration.ofMillis(40))).isEqualTo(Duration.ofSeconds(60));
        assertThat(ClusterAlerts.pause(Duration.ofSeconds(1), Duration.ofMillis(200))).isEqualTo(Duration.ofMillis(800)
                .plusMillis(200));
        assertThat(ClusterAlerts.pause(Duration.ofSeconds(1), Duration.ofMillis(900))).isEqualTo(Duration.ofMillis(3600));
    }
}
