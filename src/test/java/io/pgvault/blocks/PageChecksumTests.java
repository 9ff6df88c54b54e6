package io.pgvault.blocks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link PageChecksum} against pages of a real cluster (initdb --data-checksums, PostgreSQL 15: blocks 0 and 37 of
 * a heap, block 3 of its primary key index, copied from disk after a CHECKPOINT): the checksum computed is the one
 * PostgreSQL stored; one flipped byte, or the page taken for another block number, fails; an all-zero page and a
 * page newer than the backup's start are excused.
 */
class PageChecksumTests {

    private static byte[] page(String name) throws IOException {
        try (InputStream in = PageChecksumTests.class.getResourceAsStream("/pages/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void realPagesCarryTheChecksumComputed() throws IOException {
        for (Object[] c : new Object[][] {{"heap-block0.page", 0L}, {"heap-block37.page", 37L},
                {"index-block3.page", 3L}}) {
            byte[] p = page((String) c[0]);
            long block = (Long) c[1];
            assertThat(PageChecksum.stored(p, 0)).as("%s carries a checksum", c[0]).isNotZero();
            assertThat(PageChecksum.compute(p, 0, block)).as((String) c[0]).isEqualTo(PageChecksum.stored(p, 0));
            assertThat(PageChecksum.compute(p, 0, block + 1)).as("another block number").isNotEqualTo(
                    PageChecksum.stored(p, 0));
            assertThat(PageChecksum.verify(p, 0, block, Long.MAX_VALUE)).isTrue();
        }
    }

    @Test
    void aDamagedPageFailsUnlessItIsNewerThanTheBackupsStart() throws IOException {
        byte[] p = page("heap-block37.page");
        long lsn = PageChecksum.lsn(p, 0);
        assertThat(lsn).isPositive();
        p[5000] ^= 0x01;
        assertThat(PageChecksum.verify(p, 0, 37, lsn + 1)).as("older than the start: checked").isFalse();
        assertThat(PageChecksum.verify(p, 0, 37, lsn)).as("written at or after the start: excused").isTrue();
        // a page inside a larger buffer is found by its offset
        byte[] two = new byte[2 * PageChecksum.PAGE];
        System.arraycopy(page("heap-block0.page"), 0, two, PageChecksum.PAGE, PageChecksum.PAGE);
        assertThat(PageChecksum.verify(two, PageChecksum.PAGE, 0, lsn + 1)).isTrue();
        assertThat(PageChecksum.verify(two, 0, 7, lsn + 1)).as("an all-zero new page").isTrue();
    }
}
