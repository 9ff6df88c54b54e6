package io.pgvault.wal;

import io.pgvault.job.JobContext;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * A VERIFICATION job without a backup: re-reads a cluster's whole WAL archive against the checksums recorded
 * at push time; any mismatch or missing file fails the job, by name.
 */
@Component
public class WalVerification {

    private final WalArchiveService wal;
    private final JsonMapper json;

    WalVerification(WalArchiveService wal, JsonMapper json) {
        this.wal = wal;
        this.json = json;
    }

    public void run(JobContext context) throws Exception {
        context.phase("re-reading the WAL archive");
        WalArchiveService.Verified verified = wal.verify(context.cluster(), context.cancellation(),
                context::bytesDone, context::log);
        context.result(json.writeValueAsString(verified));
        String summary = verified.files() + " file(s), " + verified.bytes() + " bytes re-read";
        context.log("pgvault: " + summary);
        if (!verified.passed()) {
            throw new IllegalStateException("the WAL archive of cluster '" + context.cluster() + "' is damaged: "
                    + (verified.corrupt().isEmpty() ? "" : verified.corrupt().size() + " file(s) no longer match "
                            + "their recorded SHA-256 (first: " + verified.corrupt().get(0) + ") ")
                    + (verified.missing().isEmpty() ? "" : verified.missing().size() + " file(s) are gone (first: "
                            + verified.missing().get(0) + ")"));
        }
    }
}
