package io.pgvault.copy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** A copy job's payload stays the bare repository name it has always been stored as. */
class CopyOrderTests {

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void readsAndWritesTheBareRepositoryName() {
        assertThat(json.readValue("\"offsite\"", CopyOrder.class)).isEqualTo(new CopyOrder("offsite"));
        assertThat(json.writeValueAsString(new CopyOrder("offsite"))).isEqualTo("\"offsite\"");
        assertThat(json.writeValueAsString(new CopyOrder("offsite"))).isEqualTo(json.writeValueAsString("offsite"));
    }
}
