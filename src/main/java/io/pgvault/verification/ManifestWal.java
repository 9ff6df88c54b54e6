package io.pgvault.verification;

import io.pgvault.api.InvalidRequestException;
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
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
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
                if ("WAL-Ranges".equals(name)) {
                    readRanges(parser, ranges);
                } else {
                    parser.skipChildren();
                }
            }
        } catch (JacksonException | InvalidRequestException e) {
            throw new BrokenWalException("backup_manifest's WAL-Ranges cannot be read: " + e.getMessage());
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

    /** [{"Timeline": 1, "Start-LSN": "0/2000028", "End-LSN": "0/2000100"}, ...] */
    private static void readRanges(JsonParser parser, List<WalContinuity.Range> ranges) throws BrokenWalException {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            throw new BrokenWalException("backup_manifest's WAL-Ranges is not a list");
        }
        while (parser.nextToken() == JsonToken.START_OBJECT) {
            long timeline = 0;
            String start = null;
            String end = null;
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String field = parser.currentName();
                parser.nextToken();
                switch (field) {
                    case "Timeline" -> timeline = parser.getLongValue();
                    case "Start-LSN" -> start = parser.getString();
                    case "End-LSN" -> end = parser.getString();
                    default -> parser.skipChildren();
                }
            }
            ranges.add(new WalContinuity.Range(timeline, Lsn.parse(start), Lsn.parse(end)));
        }
    }
}
