package io.pgvault.reencryption;

import io.pgvault.job.FailureCause;
import io.pgvault.storage.ObjectRewrite;
import io.pgvault.wal.WalReencryption;
import java.io.IOException;
import org.springframework.stereotype.Component;

/**
 * One stored WAL file (a file's own, or its copy in the repository) re-encrypted under a new stored name of its
 * own, {@code <name>.<uuid>}, as first-push-wins names a push whose name is taken: written under the current key,
 * read back and decoded with the catalog's codec and compared with the catalog's SHA-256, the catalog row
 * switched under the cluster's archive lock, and only then the old object deleted. Fetch reads whatever the row
 * names, so it finds whole bytes before and after the switch. A file whose key the catalog does not record has its
 * first line read: one under the current key already is only recorded, one stored unencrypted is left as it is.
 */
@Component
class WalRewrites {

    private final WalReencryption wal;
    private final ObjectRewrite objects;
    private final Leftovers leftovers;

    WalRewrites(WalReencryption wal, ObjectRewrite objects, Leftovers leftovers) {
        this.wal = wal;
        this.objects = objects;
        this.leftovers = leftovers;
    }

    void rewrite(WalReencryption.StoredWal w, Progress p) throws IOException {
        String what = (w.copy() ? "the copy of WAL file " : "WAL file ") + w.name() + " of cluster '" + w.cluster() + "'";
        String from = ObjectRewrite.walKey(w.cluster(), w.timeline(), w.storedName());
        p.next(from);
        if (w.keyId() == null) {
            String keyId;
            try {
                keyId = objects.keyIdOf(p.repository, from);
            } catch (IOException e) {
                if (e.getMessage() == null || !e.getMessage().contains("is not an object pgvault encrypted")) {
                    throw e;
                }
                p.log(what + " is stored unencrypted (" + from + "): left as it is");
                p.unencrypted++;
                p.done(0);
                return;
            }
            if (keyId.equals(p.keyId)) {
                wal.recordKey(w, p.repository, keyId);
                p.alreadyUnderKey++;
                p.done(w.sizeBytes());
                return;
            }
        }
        String storedName = WalReencryption.newStoredName(w, p.keyId);
        String to = ObjectRewrite.walKey(w.cluster(), w.timeline(), storedName);
        boolean switched;
        try {
            ObjectRewrite.Rewritten r = objects.rewrite(p.repository, from, to, w.codec(), w.sizeBytes(), w.sha256());
            switched = wal.switchTo(w, p.repository, storedName, r.keyId());
        } catch (IOException | RuntimeException e) {
            deleteQuietly(to, p);
            throw e;
        }
        if (!switched) {
            deleteQuietly(to, p);
            p.log(what + " left the archive or changed meanwhile: nothing switched");
            p.skipped++;
            p.done(0);
            return;
        }
        String removed;
        try {
            objects.delete(p.repository, from);
            removed = "";
        } catch (IOException | RuntimeException e) {
            leftovers.note(p, from, false);
            removed = "; the old object " + from + " could not be removed (" + FailureCause.describe(e) + "): nothing "
                    + "points at it, it is noted for removal at the end of this run or the next";
        }
        p.log(what + " re-encrypted under key " + p.keyId + " as " + storedName + removed);
        p.rewritten(w.sizeBytes());
    }

    private void deleteQuietly(String key, Progress p) {
        try {
            objects.delete(p.repository, key);
        } catch (IOException | RuntimeException e) {
            p.log("could not remove " + key + ", which nothing points at (" + FailureCause.describe(e) + "): the sweep "
                    + "of unrecorded WAL takes it");
        }
    }
}
