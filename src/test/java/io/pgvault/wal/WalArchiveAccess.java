package io.pgvault.wal;

import java.util.function.BiConsumer;
import org.springframework.test.util.AopTestUtils;

/** Lets tests in other packages step into a WAL push between storing its file and recording it. */
public final class WalArchiveAccess {

    private WalArchiveAccess() {
    }

    /** Runs {@code hook} with (cluster, name) in every push between store and record; null ends it. */
    public static void betweenStoreAndRecord(WalArchiveService wal, BiConsumer<String, String> hook) {
        AopTestUtils.<WalArchiveService>getUltimateTargetObject(wal)
                .onStoredNotRecorded(hook == null ? (cluster, name) -> { } : hook);
    }
}
