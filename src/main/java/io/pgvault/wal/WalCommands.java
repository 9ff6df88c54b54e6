package io.pgvault.wal;

/**
 * The archive_command and restore_command that move WAL between a PostgreSQL server and pgvault with curl.
 * Both send the cluster's archive token from {@link #HEADER_FILE}, a file in the data directory (PostgreSQL
 * runs both commands there), so that the token is never in a command line that {@code ps} or
 * {@code SHOW archive_command} would show.
 */
public final class WalCommands {

    /** The owner-only file, relative to the data directory, that holds the Authorization header. */
    public static final String HEADER_FILE = "pgvault-wal.header";

    /** The content of {@link #HEADER_FILE} for an archive token. */
    public static String header(String archiveToken) {
        return "Authorization: Bearer " + archiveToken + "\n";
    }

    private WalCommands() {
    }

    /** Pushes {@code %p} as {@code %f}; curl's non-zero exit on any failure makes PostgreSQL retry. */
    public static String archiveCommand(String walUrl) {
        return "curl --silent --show-error --fail --retry 3 -H @" + HEADER_FILE
                + " -H 'Content-Type: application/octet-stream' "
                + "--upload-file %p '" + walUrl + "%f'";
    }

    /**
     * Fetches {@code %f} into {@code %p}. Only a 404 answers "no such file" (exit 1, which PostgreSQL reads as
     * the end of the archive); any other failure (pgvault unreachable, a 5xx, a broken transfer) exits 126,
     * which PostgreSQL treats as fatal, so that a passing fault can never end a recovery early and promote
     * a server that silently misses WAL. {@code %%} is PostgreSQL's escape for a literal percent sign.
     */
    public static String restoreCommand(String walUrl) {
        return "s=$(curl --silent --show-error --output \"%p\" --write-out '%%{http_code}' -H @" + HEADER_FILE
                + " '" + walUrl + "%f'); "
                + "rc=$?; if [ $rc -eq 0 ] && [ \"$s\" = 200 ]; then exit 0; fi; rm -f \"%p\"; "
                + "if [ \"$s\" = 404 ]; then exit 1; fi; "
                + "echo \"restore_command: pgvault answered HTTP ${s:-none} (curl exit $rc) for %f\" >&2; exit 126";
    }

    /**
     * Fetches {@code %f} into {@code %p} for a standby that is never promoted: any failure exits 1, which a
     * standby reads as "not there yet, ask again in a few seconds", so that a pgvault restart or a passing fault
     * never stops it. Every answer other than 200 and 404 is written to the server's log with the file's name,
     * where pgvault reads why replay waits.
     */
    public static String standbyRestoreCommand(String walUrl) {
        return "s=$(curl --silent --show-error --output \"%p\" --write-out '%%{http_code}' -H @" + HEADER_FILE
                + " '" + walUrl + "%f'); "
                + "rc=$?; if [ $rc -eq 0 ] && [ \"$s\" = 200 ]; then exit 0; fi; rm -f \"%p\"; "
                + "if [ \"$s\" != 404 ]; then echo \"restore_command: pgvault answered HTTP ${s:-none} (curl exit $rc) "
                + "for %f\" >&2; fi; exit 1";
    }
}
