package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.WalSegments;
import io.pgvault.testing.WalSegments.Field;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

/**
 * A WAL push is what its name says or it is refused, with a problem+json that says what was expected, and
 * nothing of it is kept: no catalog row, no file, no temporary file, no gap in the archive.
 */
class WalPushValidationTests extends EndToEndTest {

    final HttpClient http = HttpClient.newHttpClient();
    @Autowired
    JdbcTemplate catalog;

    private HttpResponse<String> put(String cluster, String file, byte[] body) throws Exception {
        return send(cluster, file, HttpRequest.BodyPublishers.ofByteArray(body));
    }

    /** Without Content-Length: the body goes chunked, so only reading it shows its size. */
    private HttpResponse<String> putChunked(String cluster, String file, byte[] body) throws Exception {
        return send(cluster, file, HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)));
    }

    private HttpResponse<String> send(String cluster, String file, HttpRequest.BodyPublisher body) throws Exception {
        return http.send(Api.authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/api/v1/clusters/" + cluster + "/wal/" + file))).header("Content-Type", "application/octet-stream")
                .PUT(body).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The answer is a problem+json with {@code status}; returns its detail. */
    private static String refused(HttpResponse<String> r, int status) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        return Api.JSON.readTree(r.body()).path("detail").asString();
    }

    private static String field(HttpResponse<String> r) {
        return Api.JSON.readTree(r.body()).path("errors").path(0).path("field").asString();
    }

    /** Nothing of {@code file} is archived: not fetchable, no catalog row, no file and no temporary file left. */
    private void notStored(String cluster, String file) throws Exception {
        assertThat(api.get("/api/v1/clusters/" + cluster + "/wal/" + file).status()).as(file).isEqualTo(404);
        assertThat(catalog.queryForObject("select count(*) from wal_file where cluster = ? and name = ?", Long.class,
                cluster, file)).as(file).isZero();
        assertThat(stored().walNames("local", cluster)).as(file).doesNotContain(file)
                .noneMatch(n -> n.startsWith(file + ".")).noneMatch(n -> n.startsWith(".push-"));
    }

    @Test
    void aShortBodyUnderASegmentNameIsRefusedAndOpensNoGap() throws Exception {
        String cluster = "short-wal";
        api.register(cluster, PgCluster.shared());
        WalSegments wal = WalSegments.of(PgCluster.shared());
        String first = "000000010000000000000010";
        assertThat(put(cluster, first, wal.segment(first)).statusCode()).isEqualTo(201);

        String far = "0000000100000000000000EE";
        String detail = refused(put(cluster, far, Arrays.copyOf(wal.segment(far), 1000)), 422);
        assertThat(detail).contains("1000 bytes").contains(Long.toString(wal.segmentSize()))
                .contains("wal_segment_size");
        notStored(cluster, far);
        // without a Content-Length the short body is found at its end, before anything is put in place
        detail = refused(putChunked(cluster, far, Arrays.copyOf(wal.segment(far), 1000)), 422);
        assertThat(detail).contains("is 1000 bytes");
        notStored(cluster, far);
        detail = refused(putChunked(cluster, far, Arrays.copyOf(wal.segment(far), 30)), 422);
        assertThat(detail).contains("is 30 bytes");
        notStored(cluster, far);

        JsonNode summary = api.get("/api/v1/clusters/" + cluster + "/wal").json();
        assertThat(summary.path("files").asLong()).isEqualTo(1);
        assertThat(summary.path("timelines").get(0).path("lastSegment").asString()).isEqualTo(first);
        assertThat(summary.path("timelines").get(0).path("gaps").size()).isZero();
    }

    @Test
    void aHeaderThatDoesNotFitItsNameOrClusterIsRefusedNamingTheField() throws Exception {
        String cluster = "header-wal";
        api.register(cluster, PgCluster.shared());
        WalSegments wal = WalSegments.of(PgCluster.shared());
        String name = "000000020000000000000031";
        record Bad(Field field, long value, String named, String says) {
        }
        for (Bad bad : List.of(
                new Bad(Field.TLI, 3, "xlp_tli", "xlp_tli 3, but it must be from 1 to the timeline in the file's name, 2"),
                new Bad(Field.TLI, 0, "xlp_tli", "xlp_tli 0"),
                new Bad(Field.PAGEADDR, 0x32000000L, "xlp_pageaddr", "xlp_pageaddr 0/32000000, but the segment named "
                        + name + " starts at 0/31000000"),
                new Bad(Field.SEG_SIZE, 1024 * 1024, "xlp_seg_size", "xlp_seg_size 1048576 bytes, but cluster '"
                        + cluster + "' has wal_segment_size " + wal.segmentSize()),
                new Bad(Field.XLOG_BLCKSZ, 3000, "xlp_xlog_blcksz", "xlp_xlog_blcksz 3000"),
                new Bad(Field.MAGIC, 0x8B1F, "xlp_magic", "xlp_magic is 0x8B1F"),
                new Bad(Field.INFO, 0x0001, "xlp_info", "xlp_info 0x0001"))) {
            byte[] segment = wal.segment(name);
            WalSegments.put(segment, bad.field(), bad.value());
            HttpResponse<String> r = put(cluster, name, segment);
            assertThat(refused(r, 422)).as(bad.named()).contains(bad.says());
            assertThat(field(r)).isEqualTo(bad.named());
            notStored(cluster, name);
        }

        byte[] foreign = wal.segment(name);
        long other = wal.systemIdentifier() ^ 0x5A5A5A5AL;
        WalSegments.put(foreign, Field.SYSID, other);
        assertThat(refused(put(cluster, name, foreign), 409)).contains("xlp_sysid " + Long.toUnsignedString(other))
                .contains("is system " + Long.toUnsignedString(wal.systemIdentifier()));
        notStored(cluster, name);
        assertThat(api.get("/api/v1/clusters/" + cluster).json().path("systemIdentifier").asString())
                .isEqualTo(Long.toUnsignedString(wal.systemIdentifier()));

        // the first segment of timeline 2 is a copy of timeline 1's: its page still says timeline 1
        byte[] switched = wal.segment(name);
        WalSegments.put(switched, Field.TLI, 1);
        assertThat(put(cluster, name, switched).statusCode()).isEqualTo(201);
        // a name that no cluster with these segments writes (16 MiB segments: 256 per log)
        assertThat(refused(put(cluster, "000000010000000000000100", wal.segment(name)), 422))
                .contains("last 8 hex digits go up to 000000FF");
    }

    @Test
    void clustersRegisteredBeforeSystemIdentifiersSkipThatCheckOnly() throws Exception {
        String cluster = "older-wal";
        api.register(cluster, PgCluster.shared());
        catalog.update("update cluster set system_identifier = null where name = ?", cluster);
        WalSegments elsewhere = new WalSegments(WalSegments.of(PgCluster.shared()).segmentSize(), 42);
        String name = "000000010000000000000040";
        assertThat(put(cluster, name, elsewhere.segment(name)).statusCode()).isEqualTo(201);
        byte[] wrongTimeline = elsewhere.segment("000000010000000000000041");
        WalSegments.put(wrongTimeline, Field.TLI, 2);
        assertThat(refused(put(cluster, "000000010000000000000041", wrongTimeline), 422)).contains("xlp_tli 2");
    }

    @Test
    void oversizedBodiesAreRefusedEarlyOrWhileTheyStream() throws Exception {
        String cluster = "big-wal";
        api.register(cluster, PgCluster.shared());
        WalSegments wal = WalSegments.of(PgCluster.shared());
        String name = "000000010000000000000050";
        byte[] longer = Arrays.copyOf(wal.segment(name), (int) wal.segmentSize() + 64 * 1024);
        assertThat(refused(putChunked(cluster, name, longer), 413)).contains("is longer than "
                + wal.segmentSize());
        notStored(cluster, name);
        byte[] history = new byte[1024 * 1024 + 1];
        Arrays.fill(history, (byte) '#');
        assertThat(refused(putChunked(cluster, "00000002.history", history), 413)).contains("1048576");
        notStored(cluster, "00000002.history");

        // a body announced too large is answered before a byte of it is sent: 1 TB, and one byte too many with
        // "Expect: 100-continue" as curl (archive_command) sends it: no "100 Continue" comes, only the 413
        String detail = announced(cluster, name, 1_000_000_000_000L, false);
        assertThat(detail).contains("announced as 1000000000000 bytes (Content-Length)")
                .contains(Long.toString(wal.segmentSize()));
        assertThat(announced(cluster, name, wal.segmentSize() + 1, true)).contains("Content-Length");
        notStored(cluster, name);
    }

    /**
     * Sends only the head of a push that announces {@code length} bytes, and reads the answer: a 413 (never
     * "100 Continue") whose problem+json detail it returns.
     */
    private String announced(String cluster, String file, long length, boolean expectContinue) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /api/v1/clusters/" + cluster + "/wal/" + file + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + Api.ADMIN_TOKEN + "\r\nContent-Type: application/octet-stream\r\n"
                    + (expectContinue ? "Expect: 100-continue\r\n" : "") + "Content-Length: " + length
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            BufferedInputStream in = new BufferedInputStream(socket.getInputStream());
            assertThat(line(in)).startsWith("HTTP/1.1 413");
            List<String> headers = new ArrayList<>();
            for (String header = line(in); !header.isEmpty(); header = line(in)) {
                headers.add(header.toLowerCase(Locale.ROOT));
            }
            assertThat(headers).contains("content-type: application/problem+json");
            StringBuilder body = new StringBuilder();
            if (headers.contains("transfer-encoding: chunked")) {
                for (int size = Integer.parseInt(line(in), 16); size > 0; size = Integer.parseInt(line(in), 16)) {
                    body.append(new String(in.readNBytes(size), StandardCharsets.UTF_8));
                    line(in);
                }
            } else {
                String announcedLength = headers.stream().filter(h -> h.startsWith("content-length:")).findFirst().orElseThrow();
                body.append(new String(in.readNBytes(Integer.parseInt(announcedLength.substring(15).trim())),
                        StandardCharsets.UTF_8));
            }
            return Api.JSON.readTree(body.toString()).path("detail").asString();
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Test
    void historyAndBackupFilesFollowTheirOwnRules() throws Exception {
        String cluster = "text-wal";
        api.register(cluster, PgCluster.shared());
        WalSegments wal = WalSegments.of(PgCluster.shared());
        for (String[] bad : new String[][] {
                {"00000001.history", "1\t0/3000000\tx\n", "timeline 1 has no history"},
                {"00000002.history", "2\t0/3000000\tx\n", "parent timeline 2 must be from 1 to below"},
                {"00000002.history", "1\t0/zz\tx\n", "line 1: expected 'parentTimeline<TAB>switchpoint"},
                {"00000002.history", "1\n", "line 1: expected"},
                {"00000002.history", "# nothing\n\n", "names no parent timeline"},
                {"00000002.history", "\0\0\0\0", "NUL byte"},
                {"00000003.history", "1\t0/5000000\tx\n2\t0/3000000\ty\n", "line 2: switch point 0/3000000 lies before"},
                {"00000003.history", "2\t0/3000000\tx\n1\t0/5000000\ty\n", "must be above the line before's, 2"},
                {"000000010000000000000011.00000028.backup", "START WAL LOCATION", "first line must be 'START WAL"},
                {"000000010000000000000011.00000028.backup",
                        "START WAL LOCATION: 0/12000028 (file 000000010000000000000012)\n", "but its name says"},
                {"000000010000000000000011.00000028.backup",
                        "START WAL LOCATION: 0/11000060 (file 000000010000000000000011)\n", "at offset 0x00000028"}}) {
            HttpResponse<String> r = put(cluster, bad[0], bad[1].getBytes(StandardCharsets.ISO_8859_1));
            assertThat(refused(r, 422)).as(bad[1]).contains(bad[2]);
            notStored(cluster, bad[0]);
        }
        byte[] label = Arrays.copyOf(wal.backupLabel("000000010000000000000011", 0x28), 64 * 1024 + 1);
        assertThat(refused(put(cluster, "000000010000000000000011.00000028.backup", label), 413)).contains("65536");

        assertThat(put(cluster, "00000003.history", ("# made by hand\n\n1\t0/3000000\tno recovery target specified\n"
                + "2\t0/5000000\tbefore 2024-01-01 00:00:00+00\n").getBytes(StandardCharsets.US_ASCII)).statusCode())
                .isEqualTo(201);
        assertThat(put(cluster, "00000005.history", WalSegments.history(5)).statusCode()).isEqualTo(201);
        assertThat(put(cluster, "000000010000000000000011.00000028.backup",
                wal.backupLabel("000000010000000000000011", 0x28)).statusCode()).isEqualTo(201);
    }
}
