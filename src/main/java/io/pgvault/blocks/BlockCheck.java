package io.pgvault.blocks;

import io.pgvault.job.Cancellation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;

/**
 * CHECKSUM for a backup in the block store: every block its manifest names is read back (decrypted,
 * decompressed, its zstd frame checksum checked) and hashed again, and the hash must be its name. A missing or
 * damaged block is reported with the files it breaks (the first {@link #LISTED} of them; the rest are counted). Blocks
 * are read by {@code workers} threads side by side. A block sealed with a key the repository no longer has ends the
 * check at once with that one problem: every block under that key is unreadable, and reading (and reporting) a
 * million of them one by one would only delay the answer.
 */
public final class BlockCheck {

    /** How many bad blocks a result describes; the others are counted in one last line. */
    static final int LISTED = 100;

    private BlockCheck() {
    }

    /** A worker's answer for a block whose key is gone. */
    private record KeyGone(String message) {
    }

    /** What was found: blocks and plain bytes checked, and one problem per bad block. */
    public record Result(int blocks, long bytes, List<String> problems) {
    }

    public static Result run(BlockStore store, BlockManifest manifest, int workers, Cancellation cancellation,
            LongConsumer progress) throws IOException, InterruptedException {
        Map<String, List<String>> filesOf = new LinkedHashMap<>();
        for (BlockManifest.Entry e : manifest.entries()) {
            for (String name : e.blocks()) {
                filesOf.computeIfAbsent(name, n -> new ArrayList<>()).add(e.path());
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, workers));
        ThreadLocal<BlockStore.Hasher> hashers = ThreadLocal.withInitial(store::hasher);
        List<String> problems = new ArrayList<>();
        long bytes = 0;
        try {
            List<Future<Object>> checks = new ArrayList<>();
            for (String name : filesOf.keySet()) {
                checks.add(pool.submit(() -> {
                    try {
                        byte[] data = store.read(name);
                        String again = hashers.get().name(data, data.length);
                        return again.equals(BlockStore.blockName(name)) ? (Object) (long) data.length
                                : "block " + name + " holds other content (hash " + again + ")";
                    } catch (IOException e) {
                        return missingKey(e) ? new KeyGone("block " + name + " cannot be read: " + e.getMessage())
                                : "block " + name + " cannot be read: " + e.getMessage();
                    }
                }));
            }
            int i = 0;
            int unlisted = 0;
            for (String name : filesOf.keySet()) {
                cancellation.throwIfCancelled();
                Object outcome;
                try {
                    outcome = checks.get(i++).get();
                } catch (ExecutionException e) {
                    outcome = "block " + name + " cannot be checked: " + e.getCause();
                }
                if (outcome instanceof Long n) {
                    bytes += n;
                    progress.accept(bytes);
                } else if (outcome instanceof KeyGone gone) {
                    problems.clear();
                    problems.add(gone.message() + breaks(filesOf.get(name)) + "; the check stopped there: no block "
                            + "sealed with that key can be read until its key file is configured again");
                    return new Result(filesOf.size(), bytes, problems);
                } else if (problems.size() >= LISTED) {
                    unlisted++;
                } else {
                    problems.add(outcome + breaks(filesOf.get(name)));
                }
            }
            if (unlisted > 0) {
                problems.add("and " + unlisted + " more bad block(s)");
            }
        } finally {
            io.pgvault.job.DaemonThreads.stopAndWait(pool);
        }
        return new Result(filesOf.size(), bytes, problems);
    }

    private static String breaks(List<String> files) {
        return "; it breaks " + (files.size() > 5 ? files.subList(0, 5) + " and " + (files.size() - 5) + " more"
                : files);
    }

    private static boolean missingKey(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof io.pgvault.storage.crypto.MissingKeyException) {
                return true;
            }
        }
        return false;
    }
}
