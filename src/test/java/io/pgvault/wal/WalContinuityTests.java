package io.pgvault.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.testing.PgCluster;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * pgvault's own WAL walk on real WAL of PostgreSQL 13, 16 and the machine's own major: small records,
 * records that span pages and segments, and a WAL switch pass; a flipped byte, a missing, a short and a
 * misplaced segment are each named.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WalContinuityTests {

    static final long SEGMENT = 16L * 1024 * 1024;
    static final String MARK = "pgvault-mark-";

    PgCluster pg13;
    PgCluster pg16;

    /** Segments copied out of a cluster's pg_wal, and the stretch of WAL written between two points. */
    record Stretch(Path directory, WalContinuity.Range range) {
    }

    @BeforeAll
    void clusters() {
        pg13 = PgCluster.start("wal13", 13, Map.of());
        pg16 = PgCluster.start("wal16", 16, Map.of());
    }

    @AfterAll
    void stop() {
        Stream.of(pg13, pg16).filter(c -> c != null).forEach(PgCluster::close);
    }

    @Test
    void walksRealWalOfEachMajor(@TempDir Path copies) throws Exception {
        for (PgCluster pg : List.of(pg13, pg16, PgCluster.shared())) {
            Stretch stretch = write(pg, copies.resolve(pg.port() + ""));
            WalContinuity.Walked walked = WalContinuity.check(stretch.directory(), List.of(stretch.range()), SEGMENT);
            assertThat(walked.segments()).as(pg.toString()).isGreaterThanOrEqualTo(3);
            assertThat(walked.records()).isGreaterThan(200);
            assertThat(walked.firstSegment()).isEqualTo(WalFileName.segmentName(1,
                    stretch.range().start().segment(SEGMENT), SEGMENT));
        }
    }

    @Test
    void namesWhatIsBroken(@TempDir Path copies) throws Exception {
        Stretch stretch = write(pg13, copies);
        Path dir = stretch.directory();
        List<WalContinuity.Range> ranges = List.of(stretch.range());
        List<Path> segments;
        try (Stream<Path> files = Files.list(dir)) {
            segments = files.sorted().toList();
        }

        Path marked = segments.stream().filter(f -> offsetOf(f, MARK) >= 0).findFirst().orElseThrow();
        flip(marked, offsetOf(marked, MARK) + 9);
        assertThatThrownBy(() -> WalContinuity.check(dir, ranges, SEGMENT)).isInstanceOf(BrokenWalException.class)
                .hasMessageContaining("fails its CRC").hasMessageContaining(marked.getFileName().toString());
        flip(marked, offsetOf(marked, "pgvault-mbrk-") + 9);

        Path middle = segments.get(1);
        Path aside = Files.move(middle, copies.resolve("aside"));
        assertThatThrownBy(() -> WalContinuity.check(dir, ranges, SEGMENT))
                .hasMessage("segment " + middle.getFileName() + " is missing");
        Files.copy(segments.get(2), middle);
        assertThatThrownBy(() -> WalContinuity.check(dir, ranges, SEGMENT))
                .hasMessageContaining(middle.getFileName() + " does not start with its own address");
        Files.delete(middle);
        Files.move(aside, middle);
        try (RandomAccessFile file = new RandomAccessFile(middle.toFile(), "rw")) {
            file.setLength(SEGMENT - 8192);
        }
        assertThatThrownBy(() -> WalContinuity.check(dir, ranges, SEGMENT))
                .hasMessage(middle.getFileName() + " has " + (SEGMENT - 8192) + " bytes; a segment has " + SEGMENT);
        WalContinuity.Range otherTimeline = new WalContinuity.Range(2, stretch.range().start(), stretch.range().end());
        assertThatThrownBy(() -> WalContinuity.check(dir, List.of(otherTimeline), SEGMENT))
                .hasMessageContaining("segment 00000002").hasMessageContaining("missing");
    }

    /**
     * Writes WAL the walk must get through: small records, a WAL switch, then 100 kB messages (each spanning
     * pages) until more than a segment further, and copies the segments from the first to the last.
     */
    private static Stretch write(PgCluster pg, Path into) throws Exception {
        pg.execute("postgres", "CREATE TABLE walk (id int, v text)");
        Lsn start = Lsn.parse((String) pg.queryValue("postgres", "SELECT pg_current_wal_insert_lsn()::text"));
        pg.execute("postgres", "INSERT INTO walk SELECT g, md5(g::text) FROM generate_series(1, 200) g",
                "SELECT pg_switch_wal()",
                "SELECT pg_logical_emit_message(false, 'pgvault', '" + MARK + "' || repeat('x', 100000))",
                "SELECT pg_logical_emit_message(false, 'pgvault', repeat(md5(g::text), 3200)) "
                        + "FROM generate_series(1, 200) g");
        Lsn end = Lsn.parse((String) pg.queryValue("postgres", "SELECT pg_current_wal_insert_lsn()::text"));
        // the shared cluster serves other tests: only WAL is left behind
        pg.execute("postgres", "DROP TABLE walk", "SELECT pg_switch_wal()");
        Files.createDirectories(into);
        for (long s = start.segment(SEGMENT); s <= end.segment(SEGMENT); s++) {
            String name = WalFileName.segmentName(1, s, SEGMENT);
            Files.copy(pg.dataDirectory().resolve("pg_wal").resolve(name), into.resolve(name));
        }
        return new Stretch(into, new WalContinuity.Range(1, start, end));
    }

    private static long offsetOf(Path file, String text) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            byte[] needle = text.getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i + needle.length <= bytes.length; i++) {
                if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
                    return i;
                }
            }
            return -1;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void flip(Path file, long offset) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            int b = raf.read();
            raf.seek(offset);
            raf.write(b ^ 0x03);
        }
    }
}
