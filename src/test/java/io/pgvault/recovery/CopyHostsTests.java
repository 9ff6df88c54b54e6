package io.pgvault.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A copy's WAL credential is taken back for a dropped copy only by an instance that can see the copy's host. */
class CopyHostsTests {

    @TempDir
    Path dir;

    @Test
    void onTheCopysHostAMissingServerIsADroppedCopy() throws Exception {
        Path copy = Files.createDirectory(dir.resolve("copy"));
        assertThat(CopyHosts.dropped("db-1", "db-1", copy)).as("no PG_VERSION: dropped").isTrue();
        assertThat(CopyHosts.dropped("db-1", "db-1", dir.resolve("gone"))).as("no directory: dropped").isTrue();
        Files.writeString(copy.resolve("PG_VERSION"), "16\n");
        assertThat(CopyHosts.dropped("db-1", "db-1", copy)).as("a server is there").isFalse();
    }

    @Test
    void onAnotherHostOrAnUnknownOneNothingIsJudgedByPath() {
        Path elsewhere = dir.resolve("on-the-other-host");
        assertThat(CopyHosts.dropped("db-2", "db-1", elsewhere)).as("this host cannot see db-2's directories")
                .isFalse();
        assertThat(CopyHosts.dropped(null, "db-1", elsewhere)).as("a copy whose host is not known").isFalse();
    }
}
