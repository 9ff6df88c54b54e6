package io.pgvault.blocks;

import java.util.concurrent.atomic.AtomicLong;

/** What a backup's readers stored, counted from every {@link BlockStore#store} answer, from any number of workers. */
final class StoredCounts {

    private final AtomicLong blocks = new AtomicLong();
    private final AtomicLong added = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong deltas = new AtomicLong();

    /** Counts one block; returns the reference the manifest keeps. */
    String count(BlockStore.Stored stored) {
        blocks.incrementAndGet();
        if (stored.bytes() > 0) {
            added.incrementAndGet();
            bytes.addAndGet(stored.bytes());
            if (BlockStore.baseOf(stored.reference()).isPresent()) {
                deltas.incrementAndGet();
            }
        }
        return stored.reference();
    }

    /** The reference at {@code index} of a file's previous blocks, or null past their end. */
    static String previous(java.util.List<String> previous, int index) {
        return index < previous.size() ? previous.get(index) : null;
    }

    long blocks() {
        return blocks.get();
    }

    long added() {
        return added.get();
    }

    long bytes() {
        return bytes.get();
    }

    long deltas() {
        return deltas.get();
    }
}
