package io.pgvault.reencryption;

import io.pgvault.backup.BackupCopies;
import io.pgvault.backup.BackupFile;
import io.pgvault.backup.BackupGenerations;
import io.pgvault.job.FailureCause;
import io.pgvault.job.JobService;
import io.pgvault.storage.ObjectRewrite;
import io.pgvault.storage.codec.Codec;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * A backup's files in one repository, its own or its copy there, re-encrypted as one new generation: every file
 * written beside the old generation under the current key and read back with the catalog's SHA-256, then the
 * catalog switched to the new generation in one transaction, and only then the old one removed. A failure before
 * the switch removes what the new generation holds and leaves the catalog pointing at the old one, whole; a
 * failure after it leaves an old generation nothing points at, which the log names. A backup that a job is using
 * (a restore, a verification, a copy) is left as it is, for the next run.
 */
@Component
class BackupRewrites {

    private final BackupGenerations generations;
    private final ObjectRewrite objects;
    private final JobService jobs;
    private final Leftovers leftovers;

    BackupRewrites(BackupGenerations generations, ObjectRewrite objects, JobService jobs, Leftovers leftovers) {
        this.generations = generations;
        this.objects = objects;
        this.jobs = jobs;
        this.leftovers = leftovers;
    }

    /** Re-encrypts the backup's own files in the repository, if it still has them there. */
    void own(UUID id, Progress p) throws IOException {
        Optional<BackupGenerations.Stored> found = generations.own(id, p.repository);
        if (found.isEmpty()) {
            return;
        }
        BackupGenerations.Stored s = found.get();
        if (busy(s, p, "backup")) {
            return;
        }
        String next = BackupGenerations.nextLocation(s.location());
        Map<String, ObjectRewrite.Rewritten> written;
        try {
            objects.deleteAll(p.repository, next); // what a crashed attempt left of this generation
            written = write(s, next, p);
            if (jobs.hasActive(id) || !generations.switchOwn(id, s.location(), next, written)) {
                objects.deleteAll(p.repository, next);
                p.log("backup " + id + " changed or was taken up by a job meanwhile: left as it is at " + s.location());
                p.skipped += s.files().size();
                return;
            }
        } catch (IOException | RuntimeException e) {
            removeQuietly(next, p);
            throw e;
        }
        p.log("backup " + id + ": " + s.files().size() + " file(s) re-encrypted under key " + p.keyId + " at " + next
                + ", read back with the catalog's SHA-256" + removeOld(s.location(), p));
        s.files().forEach(f -> p.rewritten(f.sizeBytes()));
    }

    /** Re-encrypts the backup's COPIED copy in the repository, if it has one there. */
    void copy(UUID id, Progress p) throws IOException {
        Optional<BackupGenerations.Stored> found = generations.copy(id, p.repository);
        if (found.isEmpty()) {
            return;
        }
        BackupGenerations.Stored s = found.get();
        if (busy(s, p, "the copy of backup")) {
            return;
        }
        if (s.keyId() == null && underCurrentKey(s, p)) {
            generations.recordCopyKey(id, p.repository, p.keyId);
            p.log("the copy of backup " + id + " at " + s.location() + " is under key " + p.keyId + " already");
            p.alreadyUnderKey += s.files().size();
            s.files().forEach(f -> p.done(f.sizeBytes()));
            return;
        }
        BackupCopies.Generation g = generations.nextCopyGeneration(id, p.repository, s.location(), p.context.jobId());
        if (g.location().equals(s.location())) {
            throw new IllegalStateException("the next generation of the copy of backup " + id + " would be written at "
                    + "its current location " + s.location() + ": refusing");
        }
        Optional<String> old;
        try {
            objects.deleteAll(p.repository, g.location());
            Map<String, ObjectRewrite.Rewritten> written = write(s, g.location(), p);
            String keyId = written.values().stream().map(ObjectRewrite.Rewritten::keyId).distinct().count() == 1
                    ? written.values().iterator().next().keyId() : null;
            old = generations.copySwitched(id, p.repository, g, s.files().size() + " file(s) re-encrypted under key "
                    + keyId + " and read back with the catalog's SHA-256", keyId);
        } catch (IOException | RuntimeException e) {
            generations.copyFailed(id, p.repository, "re-encryption: " + FailureCause.describe(e));
            removeQuietly(g.location(), p);
            throw e;
        }
        p.log("the copy of backup " + id + ": " + s.files().size() + " file(s) re-encrypted under key " + p.keyId
                + " as generation " + g.number() + " at " + g.location() + old.map(o -> removeOld(o, p)).orElse(""));
        s.files().forEach(f -> p.rewritten(f.sizeBytes()));
    }

    private boolean busy(BackupGenerations.Stored s, Progress p, String what) {
        if (!jobs.hasActive(s.backupId())) {
            return false;
        }
        p.log(what + " " + s.backupId() + " is in use by a queued or running job: left as it is (at " + s.location()
                + ") for the next re-encryption");
        p.skipped += s.files().size();
        s.files().forEach(f -> p.done(0));
        return true;
    }

    private Map<String, ObjectRewrite.Rewritten> write(BackupGenerations.Stored s, String to, Progress p)
            throws IOException {
        Map<String, ObjectRewrite.Rewritten> written = new LinkedHashMap<>();
        for (BackupFile f : s.files()) {
            p.next(s.location() + "/" + f.path());
            written.put(f.path(), objects.rewrite(p.repository, ObjectRewrite.backupKey(s.location(), f.path()),
                    ObjectRewrite.backupKey(to, f.path()), Codec.NONE, f.sizeBytes(), f.sha256()));
        }
        return written;
    }

    private boolean underCurrentKey(BackupGenerations.Stored s, Progress p) throws IOException {
        for (BackupFile f : s.files()) {
            if (!p.keyId.equals(objects.keyIdOf(p.repository, ObjectRewrite.backupKey(s.location(), f.path())))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Removes a generation nothing points at any more; a failure is noted ({@link Leftovers}), not thrown here: the
     * job removes it again at its end and fails while it is left.
     */
    private String removeOld(String location, Progress p) {
        try {
            objects.deleteAll(p.repository, location);
            return "; the old generation at " + location + " is removed";
        } catch (IOException | RuntimeException e) {
            leftovers.note(p, location, true);
            return "; the old generation at " + location + " could not be removed (" + FailureCause.describe(e)
                    + "): nothing points at it, it is noted for removal at the end of this run or the next";
        }
    }

    private void removeQuietly(String location, Progress p) {
        try {
            objects.deleteAll(p.repository, location);
        } catch (IOException | RuntimeException e) {
            p.log("could not remove the unfinished generation at " + location + " (" + FailureCause.describe(e)
                    + "): nothing points at it; the next re-encryption removes it before writing there");
        }
    }
}
