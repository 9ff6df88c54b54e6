package io.pgvault.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.wal.WalCommands;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The verdicts on a server's WAL set-up, from settings as a server reports them: what is in effect decides,
 * a value that waits for a restart is said to wait, pgvault's own command is told apart by cluster name, and
 * the archiver fails when its last failure is newer than its last success.
 */
class ArchiveChecksTests {

    static final String OURS = WalCommands.archiveCommand("http://pgvault:8080/api/v1/clusters/shop/wal/");
    static final ClusterService.ArchiverStatus QUIET = new ClusterService.ArchiverStatus(0, null, 0, null, null);
    static final Instant T = Instant.parse("2026-12-02T20:00:00Z");

    static ServerSettings settings(String walLevel, String archiveMode, String command, Set<String> pending,
            Map<String, String> configured, ClusterService.ArchiverStatus archiver) {
        return new ServerSettings(walLevel, archiveMode, command, "", 10, pending, configured, true, true, true,
                archiver, archiver.archivedCount() > 0 ? "000000010000000000000003" : null);
    }

    static ArchiveChecks push(ServerSettings s) {
        return new ArchiveChecks("shop", WalArchiveMode.PUSH, s, null);
    }

    @Test
    void recognisesPgvaultsCommandByClusterAndMasksTokens() {
        ArchiveCommand ours = ArchiveCommand.of(OURS);
        assertThat(ours.kind()).isEqualTo(ArchiveCommand.Kind.PGVAULT);
        assertThat(ours.pushesTo("shop")).isTrue();
        assertThat(ours.url()).isEqualTo("http://pgvault:8080/api/v1/clusters/shop/wal/");
        assertThat(ArchiveCommand.of(OURS.replace("/shop/", "/shop-2/")).pushesTo("shop")).isFalse();
        assertThat(ArchiveCommand.of("test ! -f /mnt/%f && cp %p /mnt/%f").kind()).isEqualTo(ArchiveCommand.Kind.OTHER);
        assertThat(ArchiveCommand.of("(disabled)").kind()).isEqualTo(ArchiveCommand.Kind.DISABLED);
        assertThat(ArchiveCommand.of("").kind()).isEqualTo(ArchiveCommand.Kind.EMPTY);
        ArchiveCommand inline = ArchiveCommand.of("curl -H 'Authorization: Bearer pgva_secret' -T %p "
                + "https://vault/api/v1/clusters/shop/wal/%f");
        assertThat(inline.pushesTo("shop")).isTrue();
        assertThat(inline.text()).doesNotContain("pgva_secret").contains("Bearer ***");
    }

    @Test
    void archiveModeOffFailsWithTheRestartAndAPendingValueIsSaidToWait() {
        CheckItem off = push(settings("replica", "off", "(disabled)", Set.of(), Map.of(), QUIET)).archiveMode();
        assertThat(off.ok()).isFalse();
        assertThat(off.value()).isEqualTo("off");
        assertThat(off.fix()).contains("archive_mode = on").contains("restart");

        CheckItem waiting = push(settings("replica", "off", "(disabled)", Set.of("archive_mode"),
                Map.of("archive_mode", "on"), QUIET)).archiveMode();
        assertThat(waiting.ok()).isFalse();
        assertThat(waiting.detail()).contains("set to 'on'").contains("waits for a server restart");

        CheckItem goingOff = push(settings("replica", "on", OURS, Set.of("archive_mode"),
                Map.of("archive_mode", "off"), QUIET)).archiveMode();
        assertThat(goingOff.ok()).as("the next restart stops archiving").isFalse();

        CheckItem notNeeded = new ArchiveChecks("shop", WalArchiveMode.NONE,
                settings("replica", "off", "(disabled)", Set.of(), Map.of(), QUIET), null).archiveMode();
        assertThat(notNeeded.ok()).isTrue();
    }

    @Test
    void aDisabledCommandIsNeverReportedAsSet() {
        CheckItem disabled = push(settings("replica", "off", "(disabled)", Set.of(),
                Map.of("archive_command", OURS), QUIET)).archiveCommand();
        assertThat(disabled.ok()).isFalse();
        assertThat(disabled.value()).isEqualTo("(disabled)");
        assertThat(disabled.detail()).contains("(disabled)").contains("archive_mode is off")
                .contains("the configuration sets pgvault's push for this cluster").doesNotContain("is set");
        assertThat(disabled.fix()).contains("archive_mode = on").contains("restart");
    }

    @Test
    void theCommandMustPushToThisCluster() {
        assertThat(push(settings("replica", "on", OURS, Set.of(), Map.of(), QUIET)).archiveCommand().ok()).isTrue();
        CheckItem other = new ArchiveChecks("shop-2", WalArchiveMode.PUSH,
                settings("replica", "on", OURS, Set.of(), Map.of(), QUIET), null).archiveCommand();
        assertThat(other.ok()).isFalse();
        assertThat(other.detail()).contains("pgvault's cluster 'shop'").contains("not to 'shop-2'");
        assertThat(other.fix()).contains("/api/v1/clusters/shop-2/archive-config").contains("reload");
        CheckItem empty = push(settings("replica", "on", "", Set.of(), Map.of(), QUIET)).archiveCommand();
        assertThat(empty.ok()).isFalse();
        assertThat(empty.detail()).contains("empty");
        CheckItem library = push(new ServerSettings("replica", "on", OURS, "basic_archive", 10, Set.of(), Map.of(),
                true, true, true, QUIET, null)).archiveCommand();
        assertThat(library.ok()).isFalse();
        assertThat(library.setting()).isEqualTo("archive_library");
        assertThat(library.fix()).contains("ALTER SYSTEM RESET archive_library");
    }

    @Test
    void aFailureNewerThanTheLastSuccessFailsTheArchiverByFile() {
        ClusterService.ArchiverStatus failing = new ClusterService.ArchiverStatus(3, T, 5, T.plusSeconds(60),
                "000000010000000000000004");
        CheckItem archiver = new ArchiveChecks("shop", WalArchiveMode.PUSH,
                settings("replica", "on", OURS, Set.of(), Map.of(), failing), "refused 5 push(es)").archiver();
        assertThat(archiver.ok()).isFalse();
        assertThat(archiver.value()).isEqualTo("000000010000000000000004");
        assertThat(archiver.detail()).contains("000000010000000000000004 at 2026-12-02T20:01:00Z")
                .contains("refused 5 push(es)");
        assertThat(archiver.fix()).contains("server log").contains("401");

        ClusterService.ArchiverStatus recovered = new ClusterService.ArchiverStatus(4, T.plusSeconds(90), 5,
                T.plusSeconds(60), "000000010000000000000004");
        CheckItem ok = push(settings("replica", "on", OURS, Set.of(), Map.of(), recovered)).archiver();
        assertThat(ok.ok()).isTrue();
        assertThat(ok.detail()).contains("older than the last success");
    }

    @Test
    void walLevelMinimalFailsWithReplicaAndRestart() {
        CheckItem minimal = new ArchiveChecks("shop", WalArchiveMode.NONE,
                settings("minimal", "off", "(disabled)", Set.of(), Map.of(), QUIET), null).walLevel();
        assertThat(minimal.ok()).isFalse();
        assertThat(minimal.fix()).contains("wal_level = replica").contains("restart");
        assertThat(push(settings("replica", "on", OURS, Set.of(), Map.of(), QUIET)).walLevel().ok()).isTrue();
    }
}
