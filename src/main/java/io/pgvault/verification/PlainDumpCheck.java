package io.pgvault.verification;

import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupView;
import io.pgvault.storage.BackupStorage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** A PLAIN SQL dump is structurally whole when it starts with pg_dump's header and ends with its closing line. */
final class PlainDumpCheck {

    private static final int HEAD = 4096;
    private static final int TAIL = 4096;

    private PlainDumpCheck() {
    }

    static void check(BackupStorage storage, BackupView backup, List<String> problems, List<String> findings)
            throws IOException {
        String file = backup.mainFile();
        boolean cluster = backup.kind() == BackupKind.DUMP_ALL;
        String header = cluster ? "-- PostgreSQL database cluster dump" : "-- PostgreSQL database dump";
        String footer = header + " complete";
        byte[] head = new byte[HEAD];
        byte[] tail = new byte[TAIL];
        int headLength = 0;
        long total = 0;
        try (InputStream raw = storage.open(backup.repository(), backup.location(), file);
                InputStream in = file.endsWith(".gz") ? new GZIPInputStream(raw, 256 * 1024) : raw) {
            byte[] buffer = new byte[256 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (headLength < HEAD) {
                    int take = Math.min(n, HEAD - headLength);
                    System.arraycopy(buffer, 0, head, headLength, take);
                    headLength += take;
                }
                // keep the last TAIL bytes seen
                if (n >= TAIL) {
                    System.arraycopy(buffer, n - TAIL, tail, 0, TAIL);
                } else {
                    System.arraycopy(tail, n, tail, 0, TAIL - n);
                    System.arraycopy(buffer, 0, tail, TAIL - n, n);
                }
                total += n;
            }
        } catch (IOException e) {
            problems.add(file + " cannot be read to its end: " + e.getMessage());
            return;
        }
        String start = new String(head, 0, headLength, StandardCharsets.UTF_8);
        int tailLength = (int) Math.min(TAIL, total);
        String end = new String(tail, TAIL - tailLength, tailLength, StandardCharsets.UTF_8);
        if (!start.contains(header)) {
            problems.add(file + " does not start like a pg_dump" + (cluster ? "all" : "") + " script");
        } else if (!end.contains(footer)) {
            problems.add(file + " is truncated: its closing line '" + footer + "' is missing");
        } else {
            findings.add("SQL script complete (" + total + " bytes, header and closing line present)");
        }
    }
}
