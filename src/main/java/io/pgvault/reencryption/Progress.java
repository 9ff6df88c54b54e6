package io.pgvault.reencryption;

import io.pgvault.job.JobContext;

/**
 * What a re-encryption has done so far, shown in the job as it goes (objects done of total in the phase, bytes
 * of the plaintext re-encrypted) and in its result: objects rewritten under the current key, found under it
 * already (their key read from their first line where the catalog had none recorded), left as they are because
 * a job was using their backup or their catalog row changed meanwhile, and stored unencrypted; of those rewritten,
 * how many were block-store objects (their plaintext bytes are not counted: the catalog does not know them).
 */
final class Progress {

    final JobContext context;
    final String repository;
    final String keyId;
    int objects;
    final long bytesTotal;
    int done;
    long bytes;
    int rewritten;
    int alreadyUnderKey;
    int skipped;
    int unencrypted;
    int blocks;

    Progress(JobContext context, String repository, String keyId, int objects, long bytesTotal) {
        this.context = context;
        this.repository = repository;
        this.keyId = keyId;
        this.objects = objects;
        this.bytesTotal = bytesTotal;
        context.bytes(0, bytesTotal);
    }

    /** Before an object: cancellation is honoured here, between objects, never in the middle of a switch. */
    void next(String what) {
        context.cancellation().throwIfCancelled();
        context.phase("re-encrypting " + (done + 1) + "/" + objects + ": " + what);
    }

    /** More objects found to do (a second listing of the block store). */
    void more(int count) {
        objects += count;
    }

    /** An object rewritten ({@code size} plaintext bytes). */
    void rewritten(long size) {
        rewritten++;
        done(size);
    }

    void done(long size) {
        done++;
        bytes += size;
        context.bytes(bytes, bytesTotal);
    }

    void log(String line) {
        context.log("pgvault: " + line);
    }

    /** One line for the job's log and error: how far it got. */
    String summary() {
        return done + " of " + objects + " object(s) done (" + rewritten + " re-encrypted, " + alreadyUnderKey
                + " under key " + keyId + " already, " + skipped + " left as they are, " + unencrypted
                + " stored unencrypted; " + blocks + " of them in the block store), " + bytes + " bytes";
    }
}
