package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.WalSegments;
import io.pgvault.wal.WalArchiveAccess;
import io.pgvault.wal.WalArchiveService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * archive_command may push a segment again (an identical body is already archived) while retention removes
 * WAL: retention takes the rows out of the catalog under the cluster's lock and deletes the files once that has
 * committed, and a push stores its file before it records it. Each test steps into one of the two moments
 * where they cross, in the racing order, with the service pieces retention runs. Whatever the push answered,
 * every file the catalog lists can be fetched, and a 2xx means the file is archived.
 */
class WalRetentionRaceTests extends EndToEndTest {

    @Autowired
    WalArchiveService wal;
    @Autowired
    JdbcTemplate catalog;
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aRePushBetweenRowRemovalAndFileDeletionKeepsItsFile() throws Exception {
        String cluster = "race-rows-gone";
        api.register(cluster, PgCluster.shared());
        WalSegments segments = WalSegments.of(PgCluster.shared());
        String old = segments.name(1, 0x41);
        String older = segments.name(1, 0x40);
        String kept = segments.name(1, 0x42);
        for (String name : List.of(older, old, kept)) {
            assertThat(put(cluster, name, segments.segment(name)).statusCode()).isEqualTo(201);
        }

        // retention, first half: the rows before the first segment of the oldest BASE backup kept
        List<WalArchiveService.Removed> removed = wal.removeRowsBefore(cluster, 1, kept);
        assertThat(removed).extracting(WalArchiveService.Removed::name).containsExactly(older, old);
        HttpResponse<String> again = put(cluster, old, segments.segment(old));
        // retention, second half: the files of those rows
        wal.deleteFiles(removed);

        assertEveryListedFileCanBeFetched(cluster);
        // no row listed it when it came: it is recorded anew, under a stored name of its own (the old file's went)
        assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
        assertThat(fetch(cluster, old).statusCode()).as("answered 201: archived").isEqualTo(200);
        assertThat(fetch(cluster, older).statusCode()).isEqualTo(404);
        assertThat(fetch(cluster, kept).statusCode()).isEqualTo(200);
    }

    @Test
    void aRePushStoredBeforeRetentionDeletesTheOldFileIsRecordedWithItsOwn() throws Exception {
        String cluster = "race-file-gone";
        api.register(cluster, PgCluster.shared());
        WalSegments segments = WalSegments.of(PgCluster.shared());
        String old = segments.name(1, 0x41);
        String kept = segments.name(1, 0x42);
        for (String name : List.of(old, kept)) {
            assertThat(put(cluster, name, segments.segment(name)).statusCode()).isEqualTo(201);
        }

        // retention has taken the row out; the push stores the segment again (the old file still has the name),
        // and before it records it, retention deletes the old file
        List<WalArchiveService.Removed> removed = wal.removeRowsBefore(cluster, 1, kept);
        assertThat(removed).extracting(WalArchiveService.Removed::name).containsExactly(old);
        AtomicReference<List<WalArchiveService.Removed>> stayed = new AtomicReference<>();
        HttpResponse<String> again;
        WalArchiveAccess.betweenStoreAndRecord(wal, (c, name) -> {
            if (c.equals(cluster) && name.equals(old)) {
                try {
                    stayed.set(wal.deleteFiles(removed));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });
        try {
            again = put(cluster, old, segments.segment(old));
        } finally {
            WalArchiveAccess.betweenStoreAndRecord(wal, null);
        }
        assertThat(stayed.get()).as("retention ran inside the push and deleted the old file").isEmpty();
        assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
        assertEveryListedFileCanBeFetched(cluster);
        assertThat(fetch(cluster, old).statusCode()).isEqualTo(200);
    }

    @Test
    void aPushThatIsNotGrantedTheArchiveLockInTimeIsAskedToComeBack() throws Exception {
        String cluster = "race-locked";
        api.register(cluster, PgCluster.shared());
        WalSegments segments = WalSegments.of(PgCluster.shared());
        String name = segments.name(1, 0x41);
        HttpResponse<String> answer;
        // retention or a recovery being queued holds the archive lock for longer than H2 waits for it (2 s)
        try (Connection other = catalog.getDataSource().getConnection(); Statement st = other.createStatement()) {
            other.setAutoCommit(false);
            st.executeQuery("select name from cluster where name = '" + cluster + "' for update").close();
            answer = put(cluster, name, segments.segment(name));
            other.rollback();
        }
        assertEveryListedFileCanBeFetched(cluster);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Retry-After")).isPresent();
        assertThat(answer.body()).contains("lock");
        // curl --retry sends it again: the file stored by the first attempt is recorded now
        HttpResponse<String> again = put(cluster, name, segments.segment(name));
        assertThat(again.statusCode()).as(again.body()).isIn(200, 201);
        assertThat(catalog.queryForList("select name from wal_file where cluster = ?", String.class, cluster))
                .containsExactly(name);
        assertEveryListedFileCanBeFetched(cluster);
    }

    /** The archive's promise: a file in the catalog is a file in storage (fetch answers it, not 404). */
    private void assertEveryListedFileCanBeFetched(String cluster) throws Exception {
        for (String name : catalog.queryForList("select name from wal_file where cluster = ?", String.class,
                cluster)) {
            assertThat(fetch(cluster, name).statusCode()).as("%s is listed in the catalog", name).isEqualTo(200);
        }
    }

    private HttpResponse<String> put(String cluster, String file, byte[] body) throws Exception {
        return http.send(Api.authorized(HttpRequest.newBuilder(wal(cluster, file)))
                .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<Void> fetch(String cluster, String file) throws Exception {
        return http.send(Api.authorized(HttpRequest.newBuilder(wal(cluster, file))).GET().build(),
                HttpResponse.BodyHandlers.discarding());
    }

    private URI wal(String cluster, String file) {
        return URI.create("http://127.0.0.1:" + port + "/api/v1/clusters/" + cluster + "/wal/" + file);
    }
}
