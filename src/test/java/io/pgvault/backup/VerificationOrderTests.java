package io.pgvault.backup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** A verification job's payload is read from every format ever stored, and written as before. */
class VerificationOrderTests {

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void readsTheBareLevelThatEarlierVersionsStored() {
        assertThat(json.readValue("\"LIST\"", VerificationOrder.class))
                .isEqualTo(new VerificationOrder(VerificationLevel.LIST, null));
    }

    @Test
    void readsTheWalRangeCheck() {
        assertThat(json.readValue("\"WAL\"", VerificationOrder.class)).isEqualTo(VerificationOrder.WAL);
    }

    @Test
    void readsTheObjectWithItsDrillCluster() {
        assertThat(json.readValue("{\"level\":\"RESTORE\",\"drillCluster\":\"drills\"}", VerificationOrder.class))
                .isEqualTo(new VerificationOrder(VerificationLevel.RESTORE, "drills"));
        assertThat(json.readValue("{\"level\":\"CHECKSUM\",\"drillCluster\":null}", VerificationOrder.class))
                .isEqualTo(new VerificationOrder(VerificationLevel.CHECKSUM, null));
    }

    @Test
    void writesTheObjectAsBefore() {
        assertThat(json.writeValueAsString(new VerificationOrder(VerificationLevel.RESTORE, "drills")))
                .isEqualTo("{\"level\":\"RESTORE\",\"drillCluster\":\"drills\"}");
    }
}
