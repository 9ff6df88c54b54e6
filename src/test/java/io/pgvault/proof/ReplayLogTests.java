package io.pgvault.proof;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a replaying server's log says: the damaged record's segment, the file pgvault did not serve, a timeline. */
class ReplayLogTests {

    static final String LOG = """
            2026-12-06 22:00:01.000 UTC [11] LOG:  entering standby mode
            2026-12-06 22:00:02.000 UTC [11] LOG:  consistent recovery state reached at 0/2000100
            restore_command: pgvault answered HTTP 409 (curl exit 0) for 000000010000000000000007
            curl: (7) Failed to connect to 127.0.0.1 port 8080: Connection refused
            restore_command: pgvault answered HTTP 000 (curl exit 7) for 000000010000000000000008
            2026-12-06 22:00:09.000 UTC [11] LOG:  new timeline 2 forked off current database system timeline 1 \
            before current recovery point 0/9000000
            2026-12-06 22:00:10.000 UTC [11] LOG:  invalid record length at 0/7000F20: wanted 24, got 0
            """;

    @Test
    void theLogNamesTheSegmentAndWhy() {
        assertThat(ReplayLog.lastNotServed(LOG)).isEqualTo("000000010000000000000008");
        assertThat(ReplayLog.lastNotServed("LOG:  entering standby mode")).isNull();
        assertThat(ReplayLog.damagedAt(LOG, 1024 * 1024, 1)).as("1 MiB segments: 0/7000F20 is in segment 0x70")
                .isEqualTo("000000010000000000000070");
        assertThat(ReplayLog.damagedAt(LOG, 16 * 1024 * 1024, 1)).isEqualTo("000000010000000000000007");
        assertThat(ReplayLog.reason(LOG)).contains("invalid record length at 0/7000F20");
        assertThat(ReplayLog.timelineTrouble(LOG)).contains("forked off current database system timeline 1");
        assertThat(ReplayLog.timelineTrouble("LOG:  new target timeline is 2")).as("following, no trouble").isNull();
        assertThat(ReplayLog.tail(LOG, 1)).contains("invalid record length");
    }
}
