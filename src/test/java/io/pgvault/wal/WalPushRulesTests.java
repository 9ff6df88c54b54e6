package io.pgvault.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.api.ContentTooLargeException;
import io.pgvault.api.UnprocessableContentException;
import io.pgvault.testing.WalSegments;
import io.pgvault.testing.WalSegments.Field;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The rules a pushed WAL file must meet, on bodies in memory: what passes unchanged and what is refused. */
class WalPushRulesTests {

    static final long SYSID = 7312345678901234567L;
    static final WalSegments WAL = new WalSegments(1024 * 1024, SYSID);
    static final WalPushRules.Target TARGET = new WalPushRules.Target("shop", 1024 * 1024, SYSID);

    private static InputStream checked(String name, long declared, byte[] body) throws IOException {
        return WalPushRules.checked(TARGET, WalFileName.parse(name), declared, new ByteArrayInputStream(body));
    }

    /** Reads the way storage does, but in odd small pieces, so the held-back header is served piecewise too. */
    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[7];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    @Test
    void aValidSegmentStreamsThroughUnchanged() throws IOException {
        String name = "000000010000000000000ABC";
        byte[] segment = WAL.segment(name);
        assertThat(readAll(checked(name, -1, segment))).isEqualTo(segment);
        assertThat(checked(name, segment.length, segment).readAllBytes()).isEqualTo(segment);
        assertThat(checked(name + ".partial", -1, segment).readAllBytes()).isEqualTo(segment);
        // the first segment of timeline 2 still carries timeline 1 on its first page
        byte[] switched = WAL.segment("000000020000000000000ABC");
        WalSegments.put(switched, Field.TLI, 1);
        assertThat(checked("000000020000000000000ABC", -1, switched).readAllBytes()).isEqualTo(switched);
    }

    @Test
    void aBodyOfTheWrongSizeFailsTheReadThatFindsOut() throws IOException {
        String name = "000000010000000000000010";
        byte[] segment = WAL.segment(name);
        InputStream shorter = checked(name, -1, Arrays.copyOf(segment, 1000));
        assertThatThrownBy(shorter::readAllBytes).isInstanceOf(UnprocessableContentException.class)
                .hasMessageContaining("is 1000 bytes").hasMessageContaining("1048576 bytes");
        assertThatThrownBy(() -> checked(name, -1, Arrays.copyOf(segment, 39)).read())
                .isInstanceOf(UnprocessableContentException.class).hasMessageContaining("is 39 bytes");
        InputStream longer = checked(name, -1, Arrays.copyOf(segment, segment.length + 1));
        assertThatThrownBy(longer::readAllBytes).isInstanceOf(ContentTooLargeException.class)
                .hasMessageContaining("is longer than 1048576 bytes");
    }

    @Test
    void aContentLengthDecidesBeforeTheBodyIsRead() {
        String name = "000000010000000000000010";
        CountingStream body = new CountingStream(WAL.segment(name));
        assertThatThrownBy(() -> WalPushRules.checked(TARGET, WalFileName.parse(name), 1L << 40, body))
                .isInstanceOf(ContentTooLargeException.class).hasMessageContaining("announced as 1099511627776");
        assertThat(body.read).as("not a byte read").isZero();
        // a short one is read to its end (and dropped), so that the client gets the answer, not a reset
        CountingStream small = new CountingStream(new byte[1000]);
        assertThatThrownBy(() -> WalPushRules.checked(TARGET, WalFileName.parse(name), 1000, small))
                .isInstanceOf(UnprocessableContentException.class).hasMessageContaining("is 1000 bytes");
        assertThat(small.read).isEqualTo(1000);
    }

    @Test
    void everyHeaderFieldIsChecked() throws IOException {
        String name = "000000030000000000000ABC";
        Object[][] cases = {
                {Field.MAGIC, 0x0000, "xlp_magic"}, {Field.MAGIC, 0xD400, "xlp_magic"},
                {Field.INFO, 0x0000, "xlp_info"}, {Field.INFO, 0x0012, "xlp_info"},
                {Field.TLI, 0, "xlp_tli"}, {Field.TLI, 4, "xlp_tli"},
                {Field.PAGEADDR, 0xABBL << 20, "xlp_pageaddr"},
                {Field.SEG_SIZE, 16 * 1024 * 1024, "xlp_seg_size"},
                {Field.XLOG_BLCKSZ, 512, "xlp_xlog_blcksz"}, {Field.XLOG_BLCKSZ, 128 * 1024, "xlp_xlog_blcksz"},
                {Field.XLOG_BLCKSZ, 8193, "xlp_xlog_blcksz"}};
        for (Object[] c : cases) {
            byte[] segment = WAL.segment(name);
            WalSegments.put(segment, (Field) c[0], ((Number) c[1]).longValue());
            InputStream in = checked(name, -1, segment);
            assertThatThrownBy(in::read).as("%s = %s", c[0], c[1]).isInstanceOf(UnprocessableContentException.class)
                    .satisfies(e -> assertThat(((UnprocessableContentException) e).field()).isEqualTo(c[2]));
        }
        byte[] foreign = WAL.segment(name);
        WalSegments.put(foreign, Field.SYSID, 42);
        assertThatThrownBy(() -> checked(name, -1, foreign).read())
                .isInstanceOf(WalPageHeader.SystemIdentifierMismatch.class).hasMessageContaining("xlp_sysid 42")
                .hasMessageContaining("is system " + SYSID);
        WalPushRules.Target older = new WalPushRules.Target("shop", 1024 * 1024, null);
        assertThat(WalPushRules.checked(older, WalFileName.parse(name), -1, new ByteArrayInputStream(foreign))
                .readAllBytes()).as("no system identifier recorded: that check only is skipped").isEqualTo(foreign);
        for (int blockSize : new int[] {1024, 8192, 65536}) {
            byte[] segment = WAL.segment(name);
            WalSegments.put(segment, Field.XLOG_BLCKSZ, blockSize);
            assertThat(checked(name, -1, segment).readAllBytes()).isEqualTo(segment);
        }
    }

    @Test
    void namesThatNoClusterWithTheseSegmentsWritesAreRefused() {
        // 1 MiB segments: 4096 per 4 GiB log, so the last 8 digits end at 00000FFF
        assertThatThrownBy(() -> checked("000000010000000000001000", -1, new byte[0]))
                .isInstanceOf(UnprocessableContentException.class).hasMessageContaining("go up to 00000FFF");
        assertThatThrownBy(() -> checked("000000000000000000000001", -1, new byte[0]))
                .isInstanceOf(UnprocessableContentException.class).hasMessageContaining("timeline 0");
    }

    @Test
    void historyFilesAreReadAsPostgresReadsThem() throws IOException {
        for (String good : new String[] {"1\t0/3000000\tno recovery target specified\n",
                "# comment\n\n1\t0/3000000\tx\n2\t0/3000000\tbefore 2024-01-01\n", "1 0/3000000\n",
                "1\t0/3000000\treason\r\n2\t1/0\tanother\n", "1\t0/03000000\tPostgreSQL 18 pads LSNs\n"}) {
            byte[] text = good.getBytes(StandardCharsets.US_ASCII);
            assertThat(checked("00000003.history", -1, text).readAllBytes()).as(good).isEqualTo(text);
        }
        for (String bad : new String[] {"", "#\n", "3\t0/3000000\tx\n", "0\t0/3000000\tx\n", "1\t0/3000000x\n",
                "1\t0/123456789\tx\n", "x\t0/3000000\tx\n", "2\t0/3000000\tx\n1\t0/4000000\tx\n",
                "1\t0/3000000\tx\n1\t0/4000000\tx\n", "1\t0/5000000\tx\n2\t0/4000000\tx\n", "1\t0/3000000\tx\0\n"}) {
            assertThatThrownBy(() -> checked("00000003.history", -1, bad.getBytes(StandardCharsets.US_ASCII)))
                    .as(bad).isInstanceOf(UnprocessableContentException.class);
        }
        byte[] huge = new byte[1024 * 1024 + 1];
        Arrays.fill(huge, (byte) '#');
        assertThatThrownBy(() -> checked("00000003.history", -1, huge)).isInstanceOf(ContentTooLargeException.class);
    }

    @Test
    void backupHistoryFilesStartInTheirOwnSegment() throws IOException {
        String segment = "000000010000000000000ABC";
        byte[] label = WAL.backupLabel(segment, 0x28);
        String name = WalSegments.backupLabelName(segment, 0x28);
        assertThat(checked(name, -1, label).readAllBytes()).isEqualTo(label);
        for (String bad : new String[] {"", "LABEL: x\n", "START WAL LOCATION: 0/ABC00028 (file 000000010000000000000ABD)\n",
                "START WAL LOCATION: 0/ABC00030 (file 000000010000000000000ABC)\n",
                "START WAL LOCATION: 0/ABD00028 (file 000000010000000000000ABC)\n"}) {
            assertThatThrownBy(() -> checked(name, -1, bad.getBytes(StandardCharsets.US_ASCII))).as(bad)
                    .isInstanceOf(UnprocessableContentException.class);
        }
        assertThatThrownBy(() -> checked(name, 64 * 1024 + 1, label)).isInstanceOf(ContentTooLargeException.class);
    }

    /** Counts what was read from it. */
    static final class CountingStream extends ByteArrayInputStream {
        long read;

        CountingStream(byte[] bytes) {
            super(bytes);
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            int n = super.read(b, off, len);
            read += Math.max(n, 0);
            return n;
        }
    }
}
