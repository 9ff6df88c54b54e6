package io.pgvault.wal;

import io.pgvault.api.ContentTooLargeException;
import io.pgvault.api.UnprocessableContentException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * What a pushed WAL file must be before it may enter the archive. A segment or .partial segment is exactly
 * the cluster's segment size and starts with a long page header that fits its name and its cluster; it is
 * checked while it streams into storage. History and backup history files are small text, read whole
 * (bounded) and checked before storage sees them. Whatever fails is refused, and nothing of it is kept.
 */
final class WalPushRules {

    private WalPushRules() {
    }

    /**
     * The cluster a file is pushed to: its name, segment size, and system identifier (null when unknown: the
     * one check it serves is skipped).
     */
    record Target(String cluster, long segmentSize, Long systemIdentifier) {
    }

    /**
     * The body to hand to storage: one that fails (by a refusal thrown from a read) unless it is a valid
     * {@code file} for {@code target}. {@code declaredLength} is the Content-Length, or -1 when unknown: a
     * body announced too large is refused before a byte is read.
     */
    static InputStream checked(Target target, WalFileName file, long declaredLength, InputStream body)
            throws IOException {
        long segmentSize = target.segmentSize();
        try {
            checkName(target, file, segmentSize);
        } catch (UnprocessableContentException refused) {
            throw SegmentBody.drained(body, file.kind() == WalFileKind.HISTORY ? WalTextFiles.HISTORY_LIMIT
                    : file.kind() == WalFileKind.BACKUP ? WalTextFiles.BACKUP_LIMIT : segmentSize, refused);
        }
        return switch (file.kind()) {
            case SEGMENT, PARTIAL -> segment(target, file, declaredLength, body);
            case HISTORY -> {
                byte[] text = bounded(file, declaredLength, body, WalTextFiles.HISTORY_LIMIT,
                        "a timeline history file is small text");
                WalTextFiles.checkHistory(file, text);
                yield new ByteArrayInputStream(text);
            }
            case BACKUP -> {
                byte[] text = bounded(file, declaredLength, body, WalTextFiles.BACKUP_LIMIT,
                        "a backup history file is a few lines of text");
                WalTextFiles.checkBackupLabel(file, text, segmentSize);
                yield new ByteArrayInputStream(text);
            }
        };
    }

    /** Names that match PostgreSQL's patterns but that no cluster with these segments writes. */
    private static void checkName(Target target, WalFileName file, long segmentSize) {
        if (file.timeline() == 0) {
            throw new UnprocessableContentException("file", file.name() + " names timeline 0; timelines start at 1");
        }
        long perLog = 0x1_0000_0000L / segmentSize;
        if (file.kind() != WalFileKind.HISTORY && file.segment() >= perLog) {
            throw new UnprocessableContentException("file", file.name() + " is no segment of cluster '"
                    + target.cluster() + "': with " + segmentSize + "-byte segments its last 8 hex digits go up to "
                    + String.format("%08X", perLog - 1));
        }
    }

    /**
     * The detail of a 413: the body is longer than {@code limit} ({@code announced}: the Content-Length, or -1
     * when it was found while reading), and why that is the limit.
     */
    static String tooLarge(String name, long limit, long announced, String why) {
        return "the body of " + name + (announced < 0 ? " is longer" : " is announced as " + announced
                + " bytes (Content-Length), more") + " than " + limit + " bytes, the most it may hold (" + why
                + "); nothing was stored";
    }

    private static InputStream segment(Target target, WalFileName file, long declaredLength, InputStream body) {
        long size = target.segmentSize();
        String cluster = target.cluster();
        if (declaredLength > size) {
            throw new ContentTooLargeException(tooLarge(file.name(), size, declaredLength,
                    "a segment of cluster '" + cluster + "' is exactly its wal_segment_size"));
        }
        if (declaredLength >= 0 && declaredLength < size) {
            throw SegmentBody.drained(body, declaredLength, new UnprocessableContentException("body", "the body of "
                    + file.name() + " is " + declaredLength + " bytes (Content-Length); a segment of cluster '"
                    + cluster + "' (and a .partial segment, which PostgreSQL and pg_receivewal write at full "
                    + "size) is exactly its wal_segment_size, " + size + " bytes; nothing was stored"));
        }
        return new SegmentBody(body, tooLarge(file.name(), size, -1, "a segment of cluster '" + cluster
                + "' is exactly its wal_segment_size"), file.name(), size,
                head -> WalPageHeader.read(head).check(file, cluster, size, target.systemIdentifier()));
    }

    /** Reads a small file whole, refusing it as soon as it is longer than {@code limit}. */
    private static byte[] bounded(WalFileName file, long declaredLength, InputStream body, int limit, String why)
            throws IOException {
        if (declaredLength > limit) {
            throw new ContentTooLargeException(tooLarge(file.name(), limit, declaredLength, why));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(declaredLength > 0 ? (int) declaredLength : 1024);
        byte[] buffer = new byte[8192];
        int n;
        while ((n = body.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
            if (out.size() > limit) {
                throw new ContentTooLargeException(tooLarge(file.name(), limit, -1, why));
            }
        }
        return out.toByteArray();
    }
}
