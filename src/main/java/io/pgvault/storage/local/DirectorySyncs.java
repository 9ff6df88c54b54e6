package io.pgvault.storage.local;

import io.pgvault.storage.Fsync;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The directories whose new entries are not yet known to be durable ({@link LocalObjectStore#createNameSyncedLater}),
 * shared by the stores that use it ({@link #PROCESS}: every local store of the process): the next put, create or
 * delete of any of them fsyncs them first, once each.
 *
 * <p>The rule that makes it safe: a name is noted under the read lock, in the same step that makes it visible (the
 * link) or finds it (a stat), and a sync drains and fsyncs under the write lock. Whoever saw a name before its own
 * write therefore syncs it in that write, or waits for the sync that already took it to finish.
 */
final class DirectorySyncs {

    /** The process's: every local store uses it, so that any store's write syncs what any other left. */
    static final DirectorySyncs PROCESS = new DirectorySyncs();

    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final Set<Path> pending = ConcurrentHashMap.newKeySet();

    /** Runs {@code step} (which makes a name in {@code directory} visible, or finds one) and notes the directory. */
    <T> T noting(Path directory, IoStep<T> step) throws IOException {
        lock.readLock().lock();
        try {
            T result = step.run();
            pending.add(directory);
            return result;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Fsyncs every noted directory; returns how many. A directory removed meanwhile is no error. */
    int sync() throws IOException {
        if (pending.isEmpty()) {
            // a sync that took the names may still be fsyncing: wait for it under the lock
            lock.writeLock().lock();
            lock.writeLock().unlock();
            return 0;
        }
        lock.writeLock().lock();
        try {
            List<Path> directories = new ArrayList<>(pending);
            pending.removeAll(directories);
            for (int i = 0; i < directories.size(); i++) {
                try {
                    Fsync.directory(directories.get(i));
                } catch (java.nio.file.NoSuchFileException gone) {
                    // removed with everything in it (a repository deleted): nothing left to make durable
                } catch (IOException | RuntimeException e) {
                    // still owed: the next write tries again
                    pending.addAll(directories.subList(i, directories.size()));
                    throw e;
                }
            }
            return directories.size();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Pending directories (tests). */
    int pendingCount() {
        return pending.size();
    }

    @FunctionalInterface
    interface IoStep<T> {
        T run() throws IOException;
    }
}
