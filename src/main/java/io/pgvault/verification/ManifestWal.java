package io.pgvault.verification;

import io.pgvault.backup.BackupView;
import io.pgvault.wal.BrokenWalException;
import io.pgvault.wal.Lsn;
import io.pgvault.wal.WalContinuity;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The WAL-Ranges of a backup_manifest: which WAL, on which timelines, the backup needs to be consistent.
 * Read by streaming past the file list, which holds one entry per file of the cluster and can be large.
 */
final class ManifestWal {

    private ManifestWal() {
    }

    /**
     * The manifest's WAL ranges, refused when they do not run from the catalog's start LSN to its stop LSN
     * on its timeline: pgvault checks the WAL the catalog promises recoveries, not just any WAL.
     */
    static List<WalContinuity.Range> ranges(JsonMapper json, Path manifest, BackupView backup)
            throws IOException, BrokenWalException {
        List<WalContinuity.Range> ranges = new ArrayList<>();
        try (InputStream in = Files.newInputStream(manifest); JsonParser parser = json.createParser(in)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new BrokenWalException("backup_manifest is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                if (!"WAL-Ranges".equals(name)) {
                    parser.skipChildren();
                    continue;
                }
                for (JsonNode range : json.readTree(parser)) {
                    ranges.add(new WalContinuity.Range(range.path("Timeline").asLong(),
                            Lsn.parse(range.path("Start-LSN").asString()), Lsn.parse(range.path("End-LSN").asString())));
                }
            }
        }
        if (ranges.isEmpty()) {
            throw new BrokenWalException("backup_manifest lists no WAL-Ranges");
        }
        WalContinuity.Range first = ranges.get(0);
        WalContinuity.Range last = ranges.get(ranges.size() - 1);
        if (!first.start().equals(Lsn.parse(backup.startLsn())) || !last.end().equals(Lsn.parse(backup.stopLsn()))
                || backup.timeline() == null || last.timeline() != backup.timeline()) {
            throw new BrokenWalException("backup_manifest's WAL-Ranges run from " + first.start() + " to " + last.end()
                    + " on timeline " + last.timeline() + ", the catalog's backup from " + backup.startLsn() + " to "
                    + backup.stopLsn() + " on timeline " + backup.timeline());
        }
        return ranges;
    }
}
