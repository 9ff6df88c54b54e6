package io.pgvault.blocks;

import io.pgvault.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Removes blocks that no manifest refers to (mark and sweep). Marking reads every manifest stored in the
 * repository, so a backup whose catalog entry is gone but whose manifest is still there keeps its blocks.
 *
 * <p>A running backup has no manifest yet, so its new blocks are protected by age: only blocks written more than
 * a grace period ago are candidates, and the grace period must exceed the longest backup. A running backup can
 * also reuse an old block that has just lost its last manifest; for that the sweep does nothing while
 * {@code backupsRunning} says a block-store backup is queued or running in the repository: asked before marking,
 * after it, and again before every {@value #BATCH} deletions, when it stops. Not a lock: a backup that starts
 * inside one batch and reuses a block deleted in that batch is the window left (docs/blocks.md).
 */
public final class BlockSweep {

    private static final int BATCH = 100;

    private BlockSweep() {
    }

    /** What a sweep did. */
    public record Result(int manifests, int referenced, int candidates, int removed, boolean skipped) {
    }

    /** Every block name the repository's manifests refer to, and how many manifests there are. */
    public static Set<String> referenced(ObjectStore store, int[] manifests) throws IOException {
        Set<String> names = new HashSet<>();
        for (String key : store.list("")) {
            if (key.endsWith("/" + BlockManifest.FILE)) {
                try (InputStream in = store.get(key)) {
                    names.addAll(BlockManifest.readFrom(in).blocks());
                }
                manifests[0]++;
            }
        }
        return names;
    }

    public static Result sweep(ObjectStore objects, BlockStore blocks, Instant writtenBefore,
            BooleanSupplier backupsRunning) throws IOException {
        if (backupsRunning.getAsBoolean()) {
            return new Result(0, 0, 0, 0, true);
        }
        List<String> old = blocks.namesWrittenBefore(writtenBefore);
        int[] manifests = {0};
        Set<String> referenced = referenced(objects, manifests);
        List<String> candidates = old.stream().filter(n -> !referenced.contains(n)).toList();
        if (backupsRunning.getAsBoolean()) {
            return new Result(manifests[0], referenced.size(), candidates.size(), 0, true);
        }
        int removed = 0;
        for (String name : candidates) {
            if (removed > 0 && removed % BATCH == 0 && backupsRunning.getAsBoolean()) {
                return new Result(manifests[0], referenced.size(), candidates.size(), removed, true);
            }
            blocks.delete(name);
            removed++;
        }
        return new Result(manifests[0], referenced.size(), candidates.size(), removed, false);
    }
}
