package io.pgvault.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.storage.codec.Codec;
import io.pgvault.testing.CatalogSliceTest;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The WAL archive's queries on the catalog database (H2 here; PostgreSQL in {@link WalQueriesOnPostgresTests}): a
 * cluster's files by kind and timeline in name order and never another cluster's, the scanner's queue (unscanned
 * segments, oldest archived first), the times a scan records (an update that leaves a removed row removed), and the
 * damaged segments.
 */
class WalQueriesTests extends CatalogSliceTest {

    @Autowired
    WalFileRepository files;

    @BeforeEach
    void clusters() {
        cluster("alpha");
        cluster("beta");
    }

    private WalFile archived(String cluster, String name, Duration ago) {
        WalBytes.Stored stored = new WalBytes.Stored("local", 16, "00" + name, Codec.NONE, 16, true, null, null);
        return entities.persist(new WalFile(cluster, WalFileName.parse(name), stored, NOW.minus(ago)));
    }

    @Test
    void aClustersFilesComeByKindAndTimelineInNameOrder() {
        archived("alpha", "000000020000000000000005", Duration.ofMinutes(1));
        archived("alpha", "000000010000000000000004", Duration.ofMinutes(3));
        archived("alpha", "000000010000000000000003", Duration.ofMinutes(4));
        archived("alpha", "00000002.history", Duration.ofMinutes(2));
        archived("alpha", "000000010000000000000003.00000028.backup", Duration.ofMinutes(4));
        archived("beta", "000000010000000000000001", Duration.ofMinutes(9));
        flushAndClear();

        assertThat(files.findByClusterAndKindOrderByName("alpha", WalFileKind.SEGMENT)).extracting(WalFile::getName)
                .containsExactly("000000010000000000000003", "000000010000000000000004", "000000020000000000000005");
        assertThat(files.findByClusterOrderByName("alpha")).extracting(WalFile::getName).containsExactly(
                "000000010000000000000003", "000000010000000000000003.00000028.backup", "000000010000000000000004",
                // by name, as text: '.' sorts before '0'
                "00000002.history", "000000020000000000000005");
        assertThat(files.findByClusterAndTimelineAndKind("alpha", 1, WalFileKind.SEGMENT)).hasSize(2);
        assertThat(files.findByClusterAndTimelineAndKind("alpha", 2, WalFileKind.HISTORY))
                .extracting(WalFile::getKind, WalFile::getTimeline).containsExactly(
                        org.assertj.core.groups.Tuple.tuple(WalFileKind.HISTORY, 2L));
        assertThat(files.findByClusterAndKindOrderByName("beta", WalFileKind.HISTORY)).isEmpty();
        WalFile read = files.findById(new WalFile.Key("alpha", "000000010000000000000004")).orElseThrow();
        assertThat(read.getArchivedAt()).isEqualTo(NOW.minus(Duration.ofMinutes(3)));
        assertThat(read.getCodec()).isEqualTo(Codec.NONE);
        assertThat(read.getRepository()).isEqualTo("local");
    }

    @Test
    void theScannerTakesUnscannedSegmentsOldestFirstAndRecordsTheirTimes() {
        archived("alpha", "000000010000000000000007", Duration.ofMinutes(1));
        archived("beta", "000000010000000000000002", Duration.ofMinutes(5));
        archived("alpha", "000000010000000000000006", Duration.ofMinutes(3));
        archived("alpha", "00000002.history", Duration.ofMinutes(9));
        flushAndClear();

        assertThat(files.findTop200ByKindAndScannedAtIsNullOrderByArchivedAt(WalFileKind.SEGMENT))
                .extracting(WalFile::getName).containsExactly("000000010000000000000002", "000000010000000000000006",
                        "000000010000000000000007");
        Instant first = NOW.minus(Duration.ofMinutes(4));
        assertThat(files.recordTimes("beta", "000000010000000000000002", first, first.plusSeconds(30), null, null,
                NOW)).isEqualTo(1);
        assertThat(files.recordTimes("alpha", "000000010000000000000006", null, null, "no commit records",
                "record at 0/6000028 does not decode", NOW)).isEqualTo(1);
        // a row that retention removed meanwhile stays removed
        assertThat(files.recordTimes("alpha", "000000010000000000000099", first, first, null, null, NOW)).isZero();
        flushAndClear();

        assertThat(files.findTop200ByKindAndScannedAtIsNullOrderByArchivedAt(WalFileKind.SEGMENT))
                .extracting(WalFile::getName).containsExactly("000000010000000000000007");
        WalFile scanned = files.findById(new WalFile.Key("beta", "000000010000000000000002")).orElseThrow();
        assertThat(scanned.getFirstCommitAt()).isEqualTo(first);
        assertThat(scanned.getLastCommitAt()).isEqualTo(first.plusSeconds(30));
        assertThat(scanned.getScannedAt()).isEqualTo(NOW);
        assertThat(files.findByClusterAndDamageIsNotNullOrderByName("alpha")).extracting(WalFile::getName,
                WalFile::getScanNote).containsExactly(org.assertj.core.groups.Tuple.tuple("000000010000000000000006",
                        "no commit records"));
        assertThat(files.findByClusterAndDamageIsNotNullOrderByName("beta")).isEmpty();
        assertThat(files.existsById(new WalFile.Key("alpha", "000000010000000000000099"))).isFalse();
    }
}
