package io.pgvault.backup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Where the next generation of a backup's files goes: beside the current one, never on it. */
class BackupGenerationsTests {

    @Test
    void theNextGenerationGoesBesideTheCurrentOneAndTheBaseIsTheFirst() {
        String first = "shop/DUMP/0b5c3f0e-7d7e-4f44-9a51-5b1f0c2d3e4f";
        assertThat(BackupGenerations.nextLocation(first)).isEqualTo(first + ".g2");
        assertThat(BackupGenerations.nextLocation(first + ".g2")).isEqualTo(first + ".g3");
        assertThat(BackupGenerations.nextLocation(first + ".g9")).isEqualTo(first + ".g10");
        assertThat(BackupGenerations.baseLocation(first + ".g10")).isEqualTo(first);
        assertThat(BackupGenerations.baseLocation(first)).isEqualTo(first);
    }
}
