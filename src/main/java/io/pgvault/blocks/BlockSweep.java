package io.pgvault.blocks;

import io.pgvault.storage.ObjectKeys;
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

    /**
     * Every block reference the repository's manifests make, with the base of every delta among them, and how many
     * manifests there are.
     */
    public static Set<String> referenced(ObjectStore store, int[] manifests) throws IOException {
        Set<String> names = new HashSet<>();
        // every top-level place but the block store itself, whose millions of blocks hold no manifest
        for (String top : store.listLevel("")) {
            if (top.equals(BlockStore.PREFIX) || !ObjectKeys.isKey(top.endsWith("/") ? top.substring(0,
                    top.length() - 1) : top)) {
                // no manifest can be stored under a name that is no key (a volume's lost+found, a foreign folder)
                continue;
            }
            for (String key : top.endsWith("/") ? store.list(top) : List.of(top)) {
                if (key.endsWith("/" + BlockManifest.FILE)) {
                    try (InputStream in = store.get(key)) {
                        for (String reference : BlockManifest.readFrom(in).blocks()) {
                            names.add(reference);
                            // a delta keeps the whole block it is stored against
                            BlockStore.baseOf(reference).ifPresent(names::add);
                        }
                    }
                    manifests[0]++;
                }
            }
        }
        return names;
    }

    /**
     * What decides whether the sweep may go on: {@link #start} before marking, {@link #delete} around each batch of
     * deletions (which it runs, or refuses). {@link BlockLeases} gives the rule that is safe across instances.
     */
    public interface Gate {
        /** Whether the sweep may begin marking (called once, before it lists anything). */
        boolean start() throws IOException;

        /** Runs one batch of deletions if the sweep may still delete; false when it must stop. */
        boolean delete(BlockLeases.Deletions batch) throws IOException;

        /**
         * Whether marking found enough manifests to go on deleting (called once, after marking): a gate that knows
         * how many block-store backups must have one refuses a listing that missed some.
         */
        default boolean marked(int manifests) throws IOException {
            return true;
        }
    }

    /** A gate that asks {@code backupsRunning} before marking and before each batch (phase 1's rule; tests). */
    public static Result sweep(ObjectStore objects, BlockStore blocks, Instant writtenBefore,
            BooleanSupplier backupsRunning) throws IOException {
        return sweep(objects, blocks, writtenBefore, new Gate() {
            @Override
            public boolean start() {
                return !backupsRunning.getAsBoolean();
            }

            @Override
            public boolean delete(BlockLeases.Deletions batch) throws IOException {
                if (backupsRunning.getAsBoolean()) {
                    return false;
                }
                batch.run();
                return true;
            }
        });
    }

    public static Result sweep(ObjectStore objects, BlockStore blocks, Instant writtenBefore, Gate gate)
            throws IOException {
        if (!gate.start()) {
            return new Result(0, 0, 0, 0, true);
        }
        List<String> old = blocks.namesWrittenBefore(writtenBefore);
        int[] manifests = {0};
        Set<String> referenced = referenced(objects, manifests);
        if (!gate.marked(manifests[0])) {
            return new Result(manifests[0], referenced.size(), 0, 0, true);
        }
        List<String> candidates = old.stream().filter(n -> !referenced.contains(n)).toList();
        int removed = 0;
        for (int from = 0; from < candidates.size(); from += BATCH) {
            List<String> batch = candidates.subList(from, Math.min(candidates.size(), from + BATCH));
            boolean ran = gate.delete(() -> {
                for (String name : batch) {
                    blocks.delete(name);
                }
            });
            if (!ran) {
                return new Result(manifests[0], referenced.size(), candidates.size(), removed, true);
            }
            removed += batch.size();
        }
        return new Result(manifests[0], referenced.size(), candidates.size(), removed, false);
    }
}
